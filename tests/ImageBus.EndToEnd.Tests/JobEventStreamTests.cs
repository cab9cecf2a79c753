using System.Net;
using System.Text.Json;
using ImageBus.Contracts;
using ImageBus.Testing;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary><c>GET /v1/jobs/{id}/events</c> as a Server-Sent Events client reads it.</summary>
public sealed class JobEventStreamTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    readonly ImageBusCluster cluster = fixture.Cluster;

    [Fact]
    public async Task A_client_reads_a_whole_job_live_and_resumes_after_Last_Event_ID()
    {
        var jobId = await cluster.SubmitAsync(SampleCases.Detective(256));

        var live = await ReadStreamAsync(jobId, lastEventId: null);

        Assert.Equal(Enumerable.Range(1, live.Count).Select(i => i.ToString()), live.Select(e => e.Id));
        Assert.Equal("job.accepted", live[0].Type);
        Assert.Equal("job.completed", live[^1].Type);
        Assert.Equal(14, live.Count(e => e.Type == "image.completed"));
        Assert.All(live, e => Assert.Equal(long.Parse(e.Id), JsonDocument.Parse(e.Data).RootElement.GetProperty("data").GetProperty("sequence").GetInt64()));
        Assert.All(live, e => Assert.Equal(e.Type, JsonDocument.Parse(e.Data).RootElement.GetProperty("type").GetString()));

        var resumed = await ReadStreamAsync(jobId, lastEventId: "5");

        Assert.Equal(live.Skip(5), resumed);
    }

    [Fact]
    public async Task After_a_retry_a_new_stream_runs_to_the_retry_s_terminal_event_and_one_past_the_end_closes_at_once()
    {
        // The first call for this prompt is refused (so the job ends partial), the retry's call succeeds.
        var request = SampleCases.Detective(256).WithFault($"[fake:fail-first=1:400] {Guid.NewGuid():N}", "ev-02");
        var jobId = await cluster.SubmitAsync(request);
        await cluster.WaitForJobAsync(jobId, TimeSpan.FromMinutes(2), JobStatuses.Partial);
        using (var retry = await cluster.Gateway.PostAsync($"/v1/jobs/{jobId}/retry", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        }

        await cluster.WaitForJobAsync(jobId, TimeSpan.FromMinutes(2), JobStatuses.Completed);

        var stream = await ReadStreamAsync(jobId, lastEventId: null);

        Assert.Equal(["job.partially_completed", "job.retried"], stream.Select(e => e.Type).Where(t => t is "job.partially_completed" or "job.retried"));
        Assert.Equal("job.completed", stream[^1].Type);
        Assert.Equal(Enumerable.Range(1, stream.Count).Select(i => i.ToString()), stream.Select(e => e.Id));
        // Both end by themselves, empty: the reader gives up (and fails) after 90 s otherwise.
        Assert.Empty(await ReadStreamAsync(jobId, lastEventId: stream[^1].Id));
        Assert.Empty(await ReadStreamAsync(jobId, lastEventId: "100000"));
    }

    [Fact]
    public async Task An_unknown_job_has_no_stream()
    {
        using var response = await cluster.Gateway.GetAsync($"/v1/jobs/{Guid.NewGuid()}/events");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    Task<List<StreamedEvent>> ReadStreamAsync(Guid jobId, string? lastEventId) => EventStream.ReadAsync(cluster.Gateway, jobId, lastEventId);
}
