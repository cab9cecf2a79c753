using ImageBus.Gateway.Auth;
using ImageBus.Gemini;
using ImageBus.Jobs;
using ImageBus.Operations;
using ImageBus.Operations.DeadLetters;
using ImageBus.Webhooks;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace ImageBus.Gateway.Operations;

public sealed record QueueHealth(string Name, long Ready, long Unacked, long Consumers, long Error, long Skipped);

public sealed record SystemHealth(
    DateTimeOffset GeneratedAt,
    IReadOnlyList<QueueHealth> Queues,
    string? QueuesError,
    IReadOnlyDictionary<string, long> JobsByState,
    DurationFigures ImageDurationMs,
    DurationFigures JobDurationMs,
    FailureWindows Failures,
    StuckJobFigures Stuck,
    GeminiBudgetFigures GeminiBudget,
    IReadOnlyList<FailingWebhookEndpoint> FailingWebhookEndpoints,
    DeadLetterCounts DeadLetters);

/// <summary><c>GET /v1/admin/system-health</c>: each section computed by the library that owns its figures (the broker's
/// queues through its management API, the jobs, the webhooks, the dead letters), put together here.</summary>
public static class SystemHealthApi
{
    public static RouteHandlerBuilder MapSystemHealth(this IEndpointRouteBuilder app) =>
        app.MapGet("/v1/admin/system-health", Get).WithTags("Operations").RequireAuthorization(GatewayAuthorization.Admin)
            .WithName("GetSystemHealth");

    static async Task<Ok<SystemHealth>> Get(
        BrokerManagement broker, JobHealth jobs, WebhookHealth webhooks, DeadLetterStore deadLetters, NpgsqlDataSource database, TimeProvider clock,
        ILogger<SystemHealth> logger, CancellationToken cancellationToken)
    {
        var (queues, queuesError) = await QueuesAsync(broker, logger, cancellationToken);
        var report = await jobs.ReportAsync(cancellationToken);
        return TypedResults.Ok(new SystemHealth(
            clock.GetUtcNow(), queues, queuesError, report.JobsByState, report.ImageDurationMs, report.JobDurationMs, report.Failures,
            report.Stuck, await GeminiCallLedger.FiguresAsync(database, cancellationToken), await webhooks.FailingEndpointsAsync(cancellationToken), await deadLetters.CountAsync(cancellationToken)));
    }

    /// <summary>ImageBus's queues (durable, not a bus's own temporary queue) with the messages of their <c>_error</c> and
    /// <c>_skipped</c> queues; none and the reason when the management API cannot be asked.</summary>
    static async Task<(IReadOnlyList<QueueHealth>, string?)> QueuesAsync(BrokerManagement broker, ILogger logger, CancellationToken cancellationToken)
    {
        IReadOnlyList<BrokerQueue> all;
        try
        {
            all = await broker.ListQueuesAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException
            && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(exception, "The RabbitMQ management API could not be asked for the queues");
            return ([], $"the RabbitMQ management API could not be asked: {exception.Message}");
        }

        var byName = all.ToDictionary(q => q.Name);
        long MessagesOf(string name) => byName.TryGetValue(name, out var queue) ? queue.Messages : 0;
        return ([.. all
            .Where(q => !q.AutoDelete && !q.Exclusive && !q.Name.EndsWith(BrokerMessage.ErrorQueueSuffix, StringComparison.Ordinal)
                && !q.Name.EndsWith(BrokerMessage.SkippedQueueSuffix, StringComparison.Ordinal))
            .OrderBy(q => q.Name, StringComparer.Ordinal)
            .Select(q => new QueueHealth(q.Name, q.Ready, q.Unacknowledged, q.Consumers,
                MessagesOf(q.Name + BrokerMessage.ErrorQueueSuffix), MessagesOf(q.Name + BrokerMessage.SkippedQueueSuffix)))], null);
    }
}
