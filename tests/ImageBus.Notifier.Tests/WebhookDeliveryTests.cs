using ImageBus.Webhooks;
using ImageBus.Testing;

namespace ImageBus.Notifier.Tests;

/// <summary>Job events through the notifier's consumers to real HTTP receivers, with the delivery log in PostgreSQL.</summary>
public sealed class WebhookDeliveryTests
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_receiver_down_then_up_gets_every_event_signed_and_in_sequence_order_per_job()
    {
        await using var notifier = await NotifierHarness.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var endpoint = await notifier.AddEndpointAsync(receiver.Url);
        receiver.Respond(_ => Task.FromResult(503));
        Guid[] jobs = [Guid.NewGuid(), Guid.NewGuid()];

        var perJob = 0;
        foreach (var job in jobs)
        {
            perJob = await notifier.PublishJobAsync(job, images: 4);
        }

        await NotifierHarness.EventuallyAsync(async () => (await notifier.DeliveriesAsync(endpoint.Id)).Any(d => d.Attempts >= 2),
            Wait, "deliveries were retried while the receiver was down");
        receiver.Respond(_ => Task.FromResult(200));
        await NotifierHarness.EventuallyAsync(() => Task.FromResult(receiver.Received.Count == jobs.Length * perJob),
            Wait, $"{jobs.Length * perJob} webhooks arrived");

        foreach (var job in jobs)
        {
            var sequences = receiver.Received.Where(w => w.JobId == job).Select(w => w.Sequence).ToList();
            Assert.Equal(Enumerable.Range(1, perJob).Select(i => (long)i), sequences);
        }

        Assert.All(receiver.Received, w => Assert.True(StandardWebhookVerifier.Verify(endpoint.Secret!, w), "signature verifies"));
        var deliveries = await notifier.DeliveriesAsync(endpoint.Id);
        Assert.All(deliveries, d => Assert.Equal(WebhookDeliveryStatuses.Delivered, d.Status));
        Assert.Contains(deliveries, d => d.AttemptLog.Count > 1 && d.AttemptLog.Any(a => a.StatusCode == 503));
        Assert.Null((await notifier.EndpointAsync(endpoint.Id)).FailingSince);
    }

    [Fact]
    public async Task During_secret_rotation_each_webhook_carries_a_signature_of_each_secret()
    {
        await using var notifier = await NotifierHarness.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var previous = WebhookSecrets.Generate();
        var endpoint = await notifier.AddEndpointAsync(receiver.Url, previousSecret: previous);

        var count = await notifier.PublishJobAsync(Guid.NewGuid(), images: 1);
        await NotifierHarness.EventuallyAsync(() => Task.FromResult(receiver.Received.Count == count), Wait, "every webhook arrived");

        foreach (var webhook in receiver.Received)
        {
            var signatures = webhook.Headers["webhook-signature"].Split(' ');
            Assert.Equal(2, signatures.Length);
            Assert.True(StandardWebhookVerifier.Verify(endpoint.Secret!, webhook.Headers["webhook-id"], webhook.Headers["webhook-timestamp"], webhook.Body, signatures[0]));
            Assert.True(StandardWebhookVerifier.Verify(previous, webhook.Headers["webhook-id"], webhook.Headers["webhook-timestamp"], webhook.Body, signatures[1]));
        }
    }

    [Fact]
    public async Task An_endpoint_answering_410_is_disabled_and_gets_nothing_more()
    {
        await using var notifier = await NotifierHarness.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var endpoint = await notifier.AddEndpointAsync(receiver.Url);
        var posts = 0;
        receiver.Respond(_ =>
        {
            Interlocked.Increment(ref posts);
            return Task.FromResult(410);
        });

        await notifier.PublishJobAsync(Guid.NewGuid(), images: 2);
        await NotifierHarness.EventuallyAsync(async () => !(await notifier.EndpointAsync(endpoint.Id)).Enabled, Wait, "the endpoint is disabled");
        // Deliveries made before it was disabled end dead without a POST; events after it make none.
        await NotifierHarness.EventuallyAsync(
            async () => (await notifier.DeliveriesAsync(endpoint.Id)).All(d => d.Status == WebhookDeliveryStatuses.Dead), Wait,
            "every delivery of the disabled endpoint is dead");

        var disabled = await notifier.EndpointAsync(endpoint.Id);
        Assert.Contains("410", disabled.DisabledReason);
        Assert.Equal(1, posts);
    }

    [Fact]
    public async Task A_hanging_receiver_times_out_and_the_delivery_is_tried_again()
    {
        await using var notifier = await NotifierHarness.StartAsync(new Dictionary<string, string> { ["Timeout"] = "00:00:01" });
        await using var receiver = await WebhookReceiver.StartAsync();
        var endpoint = await notifier.AddEndpointAsync(receiver.Url);
        var hung = 0;
        receiver.Respond(async context =>
        {
            if (Interlocked.Exchange(ref hung, 1) == 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(5));
                return 500;
            }

            return 200;
        });

        var count = await notifier.PublishJobAsync(Guid.NewGuid(), images: 1);
        await NotifierHarness.EventuallyAsync(() => Task.FromResult(receiver.Received.Count == count), Wait, "every webhook arrived");

        var first = (await notifier.DeliveriesAsync(endpoint.Id)).First();
        Assert.Equal(WebhookDeliveryStatuses.Delivered, first.Status);
        var attempts = first.AttemptLog.OrderBy(a => a.Id).ToList();
        Assert.Equal(2, attempts.Count);
        Assert.Null(attempts[0].StatusCode);
        Assert.Contains("no answer within 1 s", attempts[0].Error);
        Assert.True(attempts[0].DurationMs >= 900, $"gave up after {attempts[0].DurationMs} ms, before the timeout");
        Assert.Equal(200, attempts[1].StatusCode);
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), receiver.Received.Select(w => w.Sequence));
    }

    [Fact]
    public async Task An_endpoint_failing_for_longer_than_DisableAfter_is_disabled()
    {
        await using var notifier = await NotifierHarness.StartAsync(new Dictionary<string, string> { ["DisableAfter"] = "00:00:01" });
        await using var receiver = await WebhookReceiver.StartAsync();
        var endpoint = await notifier.AddEndpointAsync(receiver.Url);
        receiver.Respond(_ => Task.FromResult(500));

        await notifier.PublishJobAsync(Guid.NewGuid(), images: 1);
        await NotifierHarness.EventuallyAsync(async () => !(await notifier.EndpointAsync(endpoint.Id)).Enabled, Wait, "the endpoint is disabled");

        var disabled = await notifier.EndpointAsync(endpoint.Id);
        Assert.Contains("every attempt has failed", disabled.DisabledReason);
        Assert.NotNull(disabled.FailingSince);
    }

    [Fact]
    public async Task A_webhook_to_an_address_outside_the_allowlist_is_refused_at_delivery()
    {
        await using var notifier = await NotifierHarness.StartAsync(new Dictionary<string, string> { ["RetrySchedule:1"] = "01:00:00" });
        await using var receiver = await WebhookReceiver.StartAsync();
        // Loopback, but not the allowed 127.0.0.1: as if DNS now answered with an internal address.
        var endpoint = await notifier.AddEndpointAsync(receiver.Url.Replace("127.0.0.1", "127.0.0.2"));

        await notifier.PublishJobAsync(Guid.NewGuid(), images: 1);
        await NotifierHarness.EventuallyAsync(async () => (await notifier.DeliveriesAsync(endpoint.Id)).Any(d => d.Attempts == 1),
            Wait, "the first delivery was attempted");

        var delivery = (await notifier.DeliveriesAsync(endpoint.Id)).First(d => d.Attempts == 1);
        var attempt = delivery.AttemptLog.Single();
        Assert.Null(attempt.StatusCode);
        Assert.Contains("internal address", attempt.Error);
        // A refusal is final: no retry is scheduled for an address the guard will refuse again.
        Assert.Equal(WebhookDeliveryStatuses.Dead, delivery.Status);
        Assert.Empty(receiver.Received);
    }
}
