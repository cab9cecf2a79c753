using ImageBus.Webhooks;
using MassTransit;
using Microsoft.Extensions.Options;

namespace ImageBus.Notifier.Webhooks;

/// <summary>
/// Sends one delivery when its turn has come. Order per endpoint and job: a delivery waits while an earlier
/// one of the same endpoint and job is pending, and each delivery that ends (delivered or dead) sends for the
/// next. Other jobs and endpoints never wait on it, and a slow POST holds only its own message.
/// </summary>
public sealed class DeliverWebhookConsumer(
    WebhookDeliveryStore store,
    WebhookPoster poster,
    IOptions<WebhookDeliveryOptions> options,
    TimeProvider clock,
    ILogger<DeliverWebhookConsumer> logger) : IConsumer<DeliverWebhook>
{
    public async Task Consume(ConsumeContext<DeliverWebhook> context)
    {
        var settings = options.Value;
        var deliveryId = context.Message.DeliveryId;
        var turn = await store.TurnOfAsync(deliveryId, settings.MissingEventWait, context.CancellationToken);
        if (turn is DeliveryTurn.LookAgainAt later)
        {
            await SendAsync(context, deliveryId, later.At - clock.GetUtcNow());
            return;
        }

        // The lease outlives the POST's timeout, so a notifier that dies mid-POST frees the delivery soon after.
        if (turn is not DeliveryTurn.Ready || !await store.TryClaimAsync(deliveryId, settings.Timeout + TimeSpan.FromSeconds(30), context.CancellationToken))
        {
            return;
        }

        var attemptedAt = clock.GetUtcNow();
        var work = await store.LoadAsync(deliveryId, attemptedAt, context.CancellationToken);
        if (!work.EndpointEnabled)
        {
            await store.AbandonAsync(deliveryId, "the endpoint is disabled", context.CancellationToken);
            await SendNextAsync(context, work);
            return;
        }

        var outcome = await poster.PostAsync(work.Url, $"msg_{deliveryId:N}", work.Payload, work.Secrets, context.CancellationToken);
        var attempt = work.Attempts + 1;
        var (status, retryIn) = Decide(attempt, outcome, settings.Attempts);
        if (retryIn is { } delay)
        {
            // Scheduled before the attempt is recorded: if this notifier dies in between, the retry still comes.
            await SendAsync(context, deliveryId, delay);
        }

        var disabledFor = await store.RecordAttemptAsync(work, attemptedAt, outcome, status, retryIn, settings.DisableAfter, context.CancellationToken);
        Log(work, attempt, outcome, status, retryIn);
        WebhookMetrics.Attempted(outcome, status);
        if (disabledFor is not null)
        {
            logger.LogWarning("Disabled webhook endpoint {EndpointId}: {DisabledReason}", work.EndpointId, disabledFor);
        }

        if (status != WebhookDeliveryStatuses.Pending)
        {
            await SendNextAsync(context, work);
        }
    }

    /// <summary>Delivered on 2xx; dead on 410, on an address the guard refuses, or after the last attempt; otherwise tried again after the
    /// schedule's next delay, or later if the endpoint asked so (Retry-After, capped at the longest delay).</summary>
    static (string Status, TimeSpan? RetryIn) Decide(int attempt, PostOutcome outcome, IReadOnlyList<TimeSpan> schedule)
    {
        if (outcome.Succeeded)
        {
            return (WebhookDeliveryStatuses.Delivered, null);
        }

        if (outcome.StatusCode == 410 || outcome.Refused || attempt >= schedule.Count)
        {
            return (WebhookDeliveryStatuses.Dead, null);
        }

        var asked = outcome.RetryAfter is { } retryAfter ? TimeSpan.FromTicks(Math.Min(retryAfter.Ticks, schedule.Max().Ticks)) : TimeSpan.Zero;
        return (WebhookDeliveryStatuses.Pending, asked > schedule[attempt] ? asked : schedule[attempt]);
    }

    async Task SendNextAsync(ConsumeContext context, DeliveryWork ended)
    {
        if (await store.NextPendingAsync(ended.EndpointId, ended.JobId, context.CancellationToken) is { } next)
        {
            await SendAsync(context, next.Id, next.DueIn);
        }
    }

    static async Task SendAsync(ConsumeContext context, Guid deliveryId, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            var endpoint = await context.GetSendEndpoint(DeliverWebhook.Address);
            await endpoint.Send(new DeliverWebhook(deliveryId), context.CancellationToken);
        }
        else
        {
            await context.ScheduleSend(DeliverWebhook.Address, delay, new DeliverWebhook(deliveryId), context.CancellationToken);
        }
    }

    void Log(DeliveryWork work, int attempt, PostOutcome outcome, string status, TimeSpan? retryIn)
    {
        var milliseconds = (long)outcome.Duration.TotalMilliseconds;
        if (outcome.Succeeded)
        {
            logger.LogInformation("Delivered {EventType} #{Sequence} of job {JobId} to endpoint {EndpointId} in {DurationMs} ms (attempt {Attempt})",
                work.EventType, work.Sequence, work.JobId, work.EndpointId, milliseconds, attempt);
        }
        else if (status == WebhookDeliveryStatuses.Pending)
        {
            logger.LogWarning("Delivery {DeliveryId} of {EventType} to endpoint {EndpointId} failed (attempt {Attempt}, {StatusCode}): {Error}; next attempt in {RetryIn}",
                work.DeliveryId, work.EventType, work.EndpointId, attempt, outcome.StatusCode, outcome.Error, retryIn);
        }
        else
        {
            logger.LogWarning("Delivery {DeliveryId} of {EventType} to endpoint {EndpointId} is dead after attempt {Attempt} ({StatusCode}): {Error}",
                work.DeliveryId, work.EventType, work.EndpointId, attempt, outcome.StatusCode, outcome.Error);
        }
    }
}
