using System.Net.Http.Json;
using System.Text.Json;
using ImageBus.Contracts;
using ImageBus.Testing;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary>A worker stopped with SIGTERM (a deploy, a scale-down) loses no image and generates none twice: it takes no
/// more commands, finishes the images it is generating within <c>Worker:ShutdownGrace</c>, and leaves the rest queued.</summary>
public sealed class WorkerShutdownTests
{
    static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_worker_stopped_mid_job_finishes_its_images_and_the_next_worker_does_the_rest()
    {
        await using var cluster = await ImageBusCluster.StartAsync(new Dictionary<string, string>
        {
            ["Worker__Concurrency"] = "4",
            ["Worker__ShutdownGrace"] = "00:00:30",
        });
        var jobId = await cluster.SubmitAsync(SampleCases.Detective(256).WithFaultOnAll("[fake:latency=3000]"));
        await cluster.WaitUntilAsync("the worker is calling Gemini", async () => await InFlightAsync(cluster) > 0, TimeSpan.FromSeconds(30));

        var worker = cluster.Service("Worker");
        worker.Terminate();
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        // Every call the stopped worker made ended in a stored image: nothing was cut off.
        var calls = await GenerateCallsAsync(cluster);
        Assert.All(calls, call => Assert.Equal(200, call.GetProperty("status").GetInt32()));
        await cluster.WaitUntilAsync("the stopped worker's images are recorded",
            async () => (await cluster.Gateway.GetFromJsonAsync<JsonElement>($"/v1/jobs/{jobId}"))
                .GetProperty("counts").GetProperty("completed").GetInt32() == calls.Count,
            TimeSpan.FromSeconds(30));
        Assert.InRange(calls.Count, 1, 13);

        cluster.StartService("Worker");
        var status = await cluster.WaitForJobAsync(jobId, JobTimeout);
        Assert.True(status.GetProperty("status").GetString() == JobStatuses.Completed, $"{status}\n{cluster.Diagnostics()}");
        Assert.Equal(14, status.GetProperty("counts").GetProperty("completed").GetInt32());
        Assert.Equal(14, (await GenerateCallsAsync(cluster)).Count);
        Assert.Empty(await cluster.VirtualHost.MessagesMovedAsideAsync());
    }

    [Fact]
    public async Task Images_still_generating_when_the_grace_ends_go_back_to_the_queue_not_to_failed()
    {
        await using var cluster = await ImageBusCluster.StartAsync(new Dictionary<string, string>
        {
            ["Worker__Concurrency"] = "4",
            ["Worker__ShutdownGrace"] = "00:00:01",
        });
        var jobId = await cluster.SubmitAsync(SampleCases.Detective(256).WithFaultOnAll("[fake:latency=6000]"));
        await cluster.WaitUntilAsync("the worker is calling Gemini", async () => await InFlightAsync(cluster) > 0, TimeSpan.FromSeconds(30));

        var worker = cluster.Service("Worker");
        worker.Terminate();
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        cluster.StartService("Worker");

        var status = await cluster.WaitForJobAsync(jobId, JobTimeout);
        Assert.True(status.GetProperty("status").GetString() == JobStatuses.Completed, $"{status}\n{cluster.Diagnostics()}");
        Assert.Equal(14, status.GetProperty("counts").GetProperty("completed").GetInt32());
        Assert.All(status.Images(), image => Assert.Equal(1, image.GetProperty("attempt").GetInt32()));
        Assert.Empty(await cluster.VirtualHost.MessagesMovedAsideAsync());
    }

    /// <summary>Commands the worker holds unacknowledged, as the broker's statistics last said: images it is generating.</summary>
    static async Task<int> InFlightAsync(ImageBusCluster cluster) => await cluster.VirtualHost.UnacknowledgedAsync("generate-image");

    static async Task<List<JsonElement>> GenerateCallsAsync(ImageBusCluster cluster)
    {
        using var http = new HttpClient();
        var log = await http.GetFromJsonAsync<List<JsonElement>>($"{cluster.FakeGeminiUrl}/fake/requests", JsonSerializerOptions.Web);
        return [.. log!.Where(r => r.GetProperty("path").GetString()!.EndsWith(":generateContent", StringComparison.Ordinal))];
    }
}
