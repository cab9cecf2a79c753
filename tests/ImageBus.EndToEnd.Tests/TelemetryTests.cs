using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using ImageBus.Contracts;
using ImageBus.Testing;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary>What an operator's tools see of a running ImageBus: health and Prometheus endpoints on every service, and one
/// trace that follows a job from the request that submitted it to Gemini and to the webhook POST.</summary>
public sealed class TelemetryTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    static readonly string[] Services = ["Gateway", "Orchestrator", "Worker", "Notifier"];

    readonly ImageBusCluster cluster = fixture.Cluster;

    [Fact]
    public async Task Every_service_is_live_and_ready_with_its_dependencies_checked()
    {
        using var http = new HttpClient();
        foreach (var service in Services)
        {
            var live = await http.GetAsync($"{cluster.ServiceUrl(service)}/health/live");
            Assert.True(live.IsSuccessStatusCode, $"{service} /health/live answered {(int)live.StatusCode}");
            var ready = await http.GetAsync($"{cluster.ServiceUrl(service)}/health/ready");
            Assert.True(ready.IsSuccessStatusCode, $"{service} /health/ready answered {(int)ready.StatusCode}");
            Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task One_trace_follows_a_job_from_its_request_to_Gemini_and_the_webhook()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var traceId = ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs")
        {
            Content = JsonContent.Create(SampleCases.Detective(256, receiver.Url)),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        using var accepted = await cluster.Gateway.SendAsync(request);
        Assert.Equal(202, (int)accepted.StatusCode);
        var jobId = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("jobId").GetGuid();
        await cluster.WaitForJobAsync(jobId, TimeSpan.FromMinutes(2), JobStatuses.Completed);

        using var http = new HttpClient();
        var calls = await http.GetFromJsonAsync<List<JsonElement>>($"{cluster.FakeGeminiUrl}/fake/requests", JsonSerializerOptions.Web);
        var traced = calls!.Count(c =>
            c.TryGetProperty("traceParent", out var traceParent) && traceParent.GetString()?.Contains(traceId.ToString(), StringComparison.Ordinal) == true);
        Assert.Equal(14, traced);

        var completed = await receiver.WaitForAsync(w => w.JobId == jobId && w.Type == "job.completed", TimeSpan.FromSeconds(30));
        Assert.Contains(traceId.ToString(), completed.Headers.GetValueOrDefault("traceparent") ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_service_exports_its_metrics_for_Prometheus()
    {
        var jobId = await cluster.SubmitAsync(SampleCases.Detective(256));
        await cluster.WaitForJobAsync(jobId, TimeSpan.FromMinutes(2), JobStatuses.Completed);

        var expected = new Dictionary<string, string[]>
        {
            ["Gateway"] = ["http_server_request_duration_seconds", "masstransit"],
            ["Orchestrator"] = ["imagebus_jobs{", "messaging_masstransit_saga"],
            ["Worker"] = ["imagebus_image_duration_seconds", "imagebus_gemini_calls_total{", "result=\"ok\"", "imagebus_gemini_budget_wait_seconds",
                "http_client_request_duration_seconds", "db_client_operation_duration_seconds"],
            ["Notifier"] = ["messaging_masstransit_consume"],
        };
        using var http = new HttpClient();
        foreach (var (service, names) in expected)
        {
            var text = await http.GetStringAsync($"{cluster.ServiceUrl(service)}/metrics");
            foreach (var name in names)
            {
                Assert.True(text.Contains(name, StringComparison.Ordinal), $"{service} /metrics has no {name}:\n{text[..Math.Min(text.Length, 4000)]}");
            }
        }
    }
}
