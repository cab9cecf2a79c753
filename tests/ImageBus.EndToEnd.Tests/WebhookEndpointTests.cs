using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageBus.Contracts;
using ImageBus.Testing;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary>Registered webhook endpoints through the gateway API, delivered by the notifier, on the whole cluster.</summary>
public sealed class WebhookEndpointTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    const int EventsOf14ImageCase = 17; // accepted, started, 14 × image.completed, completed
    readonly ImageBusCluster cluster = fixture.Cluster;

    [Fact]
    public async Task A_14_image_case_reaches_three_endpoints_in_order_and_a_stalled_one_delays_no_other()
    {
        var tenant = $"tenant-{Guid.NewGuid():N}";
        await using var fast1 = await WebhookReceiver.StartAsync();
        await using var fast2 = await WebhookReceiver.StartAsync();
        await using var stalled = await WebhookReceiver.StartAsync();
        // Held well within the notifier's POST timeout: the fast endpoints get a 14-image case's events in seconds.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        stalled.Respond(async _ =>
        {
            await release.Task;
            return 200;
        });
        var secrets = new Dictionary<WebhookReceiver, string>
        {
            [fast1] = (await CreateEndpointAsync(tenant, fast1.Url)).Secret,
            [fast2] = (await CreateEndpointAsync(tenant, fast2.Url)).Secret,
            [stalled] = (await CreateEndpointAsync(tenant, stalled.Url)).Secret,
        };

        var request = SampleCases.Detective(256);
        request["tenantId"] = tenant;
        var jobId = await cluster.SubmitAsync(request);
        await cluster.WaitForJobAsync(jobId, TimeSpan.FromSeconds(90), JobStatuses.Completed);
        await fast1.WaitForAsync(w => w.Type == "job.completed", TimeSpan.FromSeconds(30));
        await fast2.WaitForAsync(w => w.Type == "job.completed", TimeSpan.FromSeconds(30));

        // Every event reached the fast endpoints while the stalled one had not answered its first POST.
        Assert.Empty(stalled.Received);
        release.SetResult();
        await stalled.WaitForAsync(w => w.Type == "job.completed", TimeSpan.FromSeconds(60));

        foreach (var (receiver, secret) in secrets)
        {
            var received = receiver.Received.Where(w => w.JobId == jobId).ToList();
            Assert.Equal(Enumerable.Range(1, EventsOf14ImageCase).Select(i => (long)i), received.Select(w => w.Sequence));
            Assert.All(received, w => Assert.True(StandardWebhookVerifier.Verify(secret, w), "signature verifies"));
        }
    }

    [Fact]
    public async Task The_delivery_log_lists_each_attempt_and_a_delivery_can_be_sent_again()
    {
        var tenant = $"tenant-{Guid.NewGuid():N}";
        await using var receiver = await WebhookReceiver.StartAsync();
        var endpoint = await CreateEndpointAsync(tenant, receiver.Url, ["job.completed"]);
        var request = SampleCases.Detective(256);
        request["tenantId"] = tenant;
        var jobId = await cluster.SubmitAsync(request);
        var completed = await receiver.WaitForAsync(w => w.JobId == jobId && w.Type == "job.completed", TimeSpan.FromSeconds(90));

        var deliveries = await (await Tenant(tenant)).GetFromJsonAsync<JsonElement>($"/v1/webhooks/endpoints/{endpoint.Id}/deliveries?status=delivered");
        var delivery = Assert.Single(deliveries.EnumerateArray());
        Assert.Equal("job.completed", delivery.GetProperty("eventType").GetString());
        Assert.Equal(200, delivery.GetProperty("attemptLog")[0].GetProperty("statusCode").GetInt32());

        using var redeliver = await (await Tenant(tenant)).PostAsync($"/v1/webhooks/deliveries/{delivery.GetProperty("id").GetGuid()}/redeliver", null);
        Assert.Equal(HttpStatusCode.Accepted, redeliver.StatusCode);
        await NotifierEventually(() => receiver.Received.Count(w => w.Headers["webhook-id"] == completed.Headers["webhook-id"]) == 2);
        Assert.Single(receiver.Received.Select(w => w.Type).Distinct());
    }

    [Fact]
    public async Task A_refused_delivery_is_tried_again_on_schedule_and_then_delivered()
    {
        var tenant = $"tenant-{Guid.NewGuid():N}";
        await using var receiver = await WebhookReceiver.StartAsync();
        var posts = 0;
        receiver.Respond(_ => Task.FromResult(Interlocked.Increment(ref posts) == 1 ? 503 : 200));
        var endpoint = await CreateEndpointAsync(tenant, receiver.Url, ["job.completed"]);
        var request = SampleCases.Detective(256);
        request["tenantId"] = tenant;

        var jobId = await cluster.SubmitAsync(request);
        await receiver.WaitForAsync(w => w.JobId == jobId && w.Type == "job.completed", TimeSpan.FromSeconds(90));

        var deliveries = await (await Tenant(tenant)).GetFromJsonAsync<JsonElement>($"/v1/webhooks/endpoints/{endpoint.Id}/deliveries?status=delivered");
        var attempts = Assert.Single(deliveries.EnumerateArray()).GetProperty("attemptLog").EnumerateArray()
            .OrderBy(a => a.GetProperty("attemptedAt").GetDateTimeOffset()).ToList();
        Assert.Equal([503, 200], attempts.Select(a => a.GetProperty("statusCode").GetInt32()));
        // The second attempt is the scheduled retry (5 s after the first), sent by the PostgreSQL scheduler, not at once.
        var gap = attempts[1].GetProperty("attemptedAt").GetDateTimeOffset() - attempts[0].GetProperty("attemptedAt").GetDateTimeOffset();
        Assert.True(gap >= TimeSpan.FromSeconds(4.5), $"retried after {gap}");
    }

    [Fact]
    public async Task A_scheduled_webhook_retry_goes_out_while_no_orchestrator_runs()
    {
        var tenant = $"tenant-{Guid.NewGuid():N}";
        await using var receiver = await WebhookReceiver.StartAsync();
        var posts = 0;
        receiver.Respond(_ =>
        {
            if (Interlocked.Increment(ref posts) > 1)
            {
                return Task.FromResult(200);
            }

            // The retry is scheduled when this first POST fails; from now on only the notifier can send it.
            cluster.Service("Orchestrator").Kill();
            return Task.FromResult(503);
        });
        var endpoint = await CreateEndpointAsync(tenant, receiver.Url, ["job.completed"]);
        var request = SampleCases.Detective(256);
        request["tenantId"] = tenant;

        try
        {
            var jobId = await cluster.SubmitAsync(request);
            await receiver.WaitForAsync(w => w.JobId == jobId && w.Type == "job.completed", TimeSpan.FromSeconds(90));

            Assert.True(cluster.Service("Orchestrator").HasExited, "the orchestrator was down when the retry went out");
            // The receiver has the POST a moment before the notifier records it delivered.
            var deliveries = await (await Tenant(tenant)).GetFromJsonAsync<JsonElement>($"/v1/webhooks/endpoints/{endpoint.Id}/deliveries?status=delivered");
            for (var tries = 0; deliveries.GetArrayLength() == 0 && tries < 150; tries++)
            {
                await Task.Delay(200);
                deliveries = await (await Tenant(tenant)).GetFromJsonAsync<JsonElement>($"/v1/webhooks/endpoints/{endpoint.Id}/deliveries?status=delivered");
            }

            var attempts = Assert.Single(deliveries.EnumerateArray()).GetProperty("attemptLog").EnumerateArray();
            Assert.Equal([503, 200], attempts.OrderBy(a => a.GetProperty("attemptedAt").GetDateTimeOffset())
                .Select(a => a.GetProperty("statusCode").GetInt32()));
        }
        finally
        {
            cluster.StartService("Orchestrator");
        }
    }

    [Fact]
    public async Task An_endpoint_with_several_problems_is_refused_listing_each()
    {
        using var response = await (await Tenant("tenant-x")).PostAsJsonAsync("/v1/webhooks/endpoints",
            new { url = "http://10.0.0.5/hook", eventTypes = new[] { "job.exploded" } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["eventTypes", "url"], problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order());
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://10.0.0.5/hook")]
    [InlineData("http://[fd00:ec2::254]/")]
    [InlineData("http://192.168.1.1/hook")]
    public async Task Endpoints_reaching_internal_addresses_are_refused(string url)
    {
        using var response = await (await Tenant("tenant-x")).PostAsJsonAsync("/v1/webhooks/endpoints", new { url });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("url", out _), problem.ToString());
    }

    [Fact]
    public async Task Rotating_a_secret_answers_the_new_one_and_keeps_the_old_one_signing_for_a_while()
    {
        var tenant = $"tenant-{Guid.NewGuid():N}";
        var endpoint = await CreateEndpointAsync(tenant, "http://127.0.0.1:9/hook");

        using var response = await (await Tenant(tenant)).PostAsync($"/v1/webhooks/endpoints/{endpoint.Id}/rotate-secret", null);
        var rotated = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.StartsWith("whsec_", rotated.GetProperty("secret").GetString());
        Assert.NotEqual(endpoint.Secret, rotated.GetProperty("secret").GetString());
        Assert.True(rotated.GetProperty("previousSecretExpiresAt").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        using var other = await (await Tenant("someone-else")).GetAsync($"/v1/webhooks/endpoints/{endpoint.Id}");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    async Task<(Guid Id, string Secret)> CreateEndpointAsync(string tenant, string url, string[]? eventTypes = null)
    {
        using var response = await (await Tenant(tenant)).PostAsJsonAsync("/v1/webhooks/endpoints", new { url, eventTypes });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToString());
        return (body.GetProperty("endpoint").GetProperty("id").GetGuid(), body.GetProperty("secret").GetString()!);
    }

    Task<HttpClient> Tenant(string tenant) => cluster.ClientForTenantAsync(tenant);

    static async Task NotifierEventually(Func<bool> condition)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "timed out");
            await Task.Delay(100);
        }
    }
}
