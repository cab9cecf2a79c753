using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageBus.Contracts;
using ImageBus.Testing;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary><c>GET /v1/admin/system-health</c> on a cluster of its own, after a completed sample case and a partial one
/// (one image refused by Gemini's safety filter), with a webhook endpoint that answers 500.</summary>
public sealed class SystemHealthTests
{
    static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task After_a_completed_and_a_partial_case_the_figures_are_right_and_a_wrong_management_url_is_reported()
    {
        await using var cluster = await ImageBusCluster.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond(_ => Task.FromResult(500));
        using var created = await cluster.Gateway.PostAsJsonAsync("/v1/webhooks/endpoints", new { url = receiver.Url });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var endpointId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("endpoint").GetProperty("id").GetGuid();

        var completed = await cluster.SubmitAsync(SampleCases.Detective(256));
        var partial = await cluster.SubmitAsync(SampleCases.Detective(256).WithFault("[fake:safety]", "ev-02"));
        Assert.Equal(JobStatuses.Completed, (await cluster.WaitForJobAsync(completed, Patience)).GetProperty("status").GetString());
        Assert.Equal(JobStatuses.Partial, (await cluster.WaitForJobAsync(partial, Patience)).GetProperty("status").GetString());

        JsonElement health = default;
        await cluster.WaitUntilAsync("the failing endpoint and the queues are reported", async () =>
        {
            health = await HealthAsync(cluster);
            return health.GetProperty("failingWebhookEndpoints").EnumerateArray().Any(e => e.GetProperty("endpointId").GetGuid() == endpointId)
                && health.GetProperty("queues").EnumerateArray().Any(q => q.GetProperty("name").GetString() == "generate-image")
                // The workers add their call counts every few seconds: 28 calls (one each, the safety block's included).
                && health.GetProperty("geminiBudget").GetProperty("callsLastMinute").GetInt64() >= 28;
        }, Patience);

        var byState = health.GetProperty("jobsByState");
        Assert.Equal((1, 1), (byState.GetProperty("completed").GetInt64(), byState.GetProperty("partial").GetInt64()));
        Assert.Equal(27, health.GetProperty("imageDurationMs").GetProperty("count").GetInt32());
        Assert.True(health.GetProperty("imageDurationMs").GetProperty("p95").GetDouble() >= health.GetProperty("imageDurationMs").GetProperty("p50").GetDouble());
        Assert.Equal(2, health.GetProperty("jobDurationMs").GetProperty("count").GetInt32());
        var lastHour = health.GetProperty("failures").GetProperty("lastHour");
        Assert.Equal((28, 1), (lastHour.GetProperty("total").GetInt32(), lastHour.GetProperty("failed").GetInt32()));
        Assert.Equal(1, Assert.Single(lastHour.GetProperty("byErrorCode").EnumerateObject()).Value.GetInt32());
        Assert.Equal(28, health.GetProperty("failures").GetProperty("lastDay").GetProperty("total").GetInt32());
        Assert.Equal(0, health.GetProperty("stuck").GetProperty("count").GetInt32());
        var budget = health.GetProperty("geminiBudget");
        Assert.Equal((600, 0L), (budget.GetProperty("requestsPerMinute").GetInt32(), budget.GetProperty("rateLimitedLastHour").GetInt64()));
        Assert.Equal(0, health.GetProperty("deadLetters").GetProperty("failed").GetInt32());
        var endpoint = health.GetProperty("failingWebhookEndpoints").EnumerateArray().Single(e => e.GetProperty("endpointId").GetGuid() == endpointId);
        Assert.Equal((ImageBusCluster.DefaultTenant, receiver.Url), (endpoint.GetProperty("tenantId").GetString(), endpoint.GetProperty("url").GetString()));
        Assert.True(endpoint.GetProperty("failingDeliveries").GetInt32() >= 1);
        Assert.Contains("500", endpoint.GetProperty("lastError").GetString());
        var workQueue = health.GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("name").GetString() == "generate-image");
        Assert.True(workQueue.GetProperty("consumers").GetInt64() >= 1);
        Assert.Equal(JsonValueKind.Null, health.GetProperty("queuesError").ValueKind);

        cluster.Service("Gateway").Kill();
        cluster.StartService("Gateway", new Dictionary<string, string> { ["RabbitMq__ManagementUrl"] = $"http://127.0.0.1:{FreePort.Next()}/" });
        await cluster.WaitForGatewayAsync();
        var unreachable = await HealthAsync(cluster);
        Assert.Empty(unreachable.GetProperty("queues").EnumerateArray());
        Assert.Contains("management API", unreachable.GetProperty("queuesError").GetString());
        Assert.Equal(1, unreachable.GetProperty("jobsByState").GetProperty("completed").GetInt64());
    }

    static async Task<JsonElement> HealthAsync(ImageBusCluster cluster)
    {
        using var response = await cluster.Admin.GetAsync("/v1/admin/system-health");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
