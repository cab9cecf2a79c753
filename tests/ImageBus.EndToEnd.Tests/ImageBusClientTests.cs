using System.IO.Compression;
using System.Net;
using ImageBus.Api;
using ImageBus.Client;
using ImageBus.Contracts;
using ImageBus.Testing;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary><see cref="ImageBusClient"/> against the real gateway, as an upstream app would use it: submit (idempotently), wait,
/// get, list every page, stream events, fetch an image's variants, download the archive, retry and cancel, and errors as
/// problem details.</summary>
public sealed class ImageBusClientTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(90);
    readonly ImageBusCluster cluster = fixture.Cluster;

    async Task<ImageBusClient> TenantClientAsync(string tenant) =>
        ImageBusClient.Create(new Uri(cluster.GatewayUrl), (await cluster.CreateKeyAsync(tenant)).Key);

    static SubmitJobRequest Case(int items, string description = "a small object") => new(
        null, $"case-{Guid.NewGuid():N}",
        [.. Enumerable.Range(1, items).Select(i => new SubmitJobItem($"item-{i}", ImageKinds.Evidence, $"Item {i}", description))], ImageSize: 128);

    [Fact]
    public async Task A_job_is_submitted_followed_listed_streamed_and_downloaded()
    {
        var client = await TenantClientAsync($"client-{Guid.NewGuid():N}"[..20]);
        var request = Case(2);
        var key = $"key-{Guid.NewGuid():N}";
        var accepted = await client.SubmitAsync(request, key);
        Assert.Equal(accepted.JobId, (await client.SubmitAsync(request, key)).JobId);

        var done = await client.WaitAsync(accepted.JobId, JobTimeout);
        Assert.Equal((JobStatuses.Completed, 2), (done.Status, done.Counts.Completed));
        Assert.Equal(done.CaseId, (await client.GetAsync(accepted.JobId)).CaseId);

        var second = await client.SubmitAsync(Case(1));
        await client.WaitAsync(second.JobId, JobTimeout);
        var listed = new List<Guid>();
        await foreach (var job in client.ListAllAsync(new JobListFilter(Limit: 1)))
        {
            listed.Add(job.JobId);
        }

        Assert.Equal([second.JobId, accepted.JobId], listed);
        Assert.Equal([second.JobId], (await client.ListAsync(new JobListFilter(CaseId: (await client.GetAsync(second.JobId)).CaseId))).Items.Select(j => j.JobId));

        var events = new List<JobEvent>();
        await foreach (var e in client.StreamEventsAsync(accepted.JobId))
        {
            events.Add(e);
        }

        Assert.Equal("job.completed", events[^1].Type);
        Assert.Equal(2, events.Count(e => e.Type == "image.completed"));
        Assert.Equal(events.Select(e => e.Sequence).Order(), events.Select(e => e.Sequence));
        Assert.Equal(accepted.JobId, events[0].Data.GetProperty("data").GetProperty("jobId").GetGuid());

        var (webp, webpType) = await client.GetImageAsync(accepted.JobId, "item-1", ImageBusClient.Variants.Webp);
        Assert.Equal("image/webp", webpType);
        Assert.NotEmpty(webp);
        var (full, _) = await client.GetImageAsync(accepted.JobId, "item-1");

        using var archive = new MemoryStream();
        await client.DownloadArchiveAsync(accepted.JobId, archive);
        archive.Position = 0;
        using var zip = new ZipArchive(archive, ZipArchiveMode.Read);
        Assert.Equal(["item-1.jpg", "item-2.jpg", "manifest.json"], zip.Entries.Select(e => e.FullName).Order());
        await using var first = await zip.GetEntry("item-1.jpg")!.OpenAsync();
        using var copy = new MemoryStream();
        await first.CopyToAsync(copy);
        Assert.Equal(full, copy.ToArray());
    }

    [Fact]
    public async Task Errors_arrive_as_exceptions_carrying_their_problem_details()
    {
        var client = await TenantClientAsync($"client-{Guid.NewGuid():N}"[..20]);

        var invalid = await Assert.ThrowsAsync<ImageBusApiException>(() => client.SubmitAsync(Case(0)));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.Status);
        Assert.Contains("items", invalid.Errors.Keys);

        var badVariant = await Assert.ThrowsAsync<ImageBusApiException>(() => client.GetImageAsync(Guid.NewGuid(), "x", "png"));
        Assert.Equal(["variant"], badVariant.Errors.Keys);
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAsync<ImageBusApiException>(() => client.GetAsync(Guid.NewGuid()))).Status);

        var partial = await client.SubmitAsync(new SubmitJobRequest(null, $"case-{Guid.NewGuid():N}",
            [new("ok", ImageKinds.Evidence, "Ok", "fine"), new("bad", ImageKinds.Evidence, "Bad", "refused [fake:error=400]")], ImageSize: 128));
        Assert.Equal(JobStatuses.Partial, (await client.WaitAsync(partial.JobId, JobTimeout)).Status);
        var notRunning = await Assert.ThrowsAsync<ImageBusApiException>(() => client.CancelAsync(partial.JobId, "too late"));
        Assert.Equal((HttpStatusCode.Conflict, "The job cannot be cancelled."), (notRunning.Status, notRunning.Title));
        await client.RetryAsync(partial.JobId);
        // The retry tried the refused image again (attempt 2), which failed again.
        await cluster.WaitUntilAsync("the retry ends", async () => await client.GetAsync(partial.JobId) is { Status: JobStatuses.Partial } job
            && job.Images.Single(i => i.ItemId == "bad").Attempt == 2, JobTimeout);

        var slow = await client.SubmitAsync(Case(1, "slow [fake:latency=120000]"));
        await client.WaitAsync(slow.JobId, JobTimeout, [JobStatuses.Generating]);
        await client.CancelAsync(slow.JobId, "not needed");
        Assert.Equal(JobStatuses.Cancelled, (await client.WaitAsync(slow.JobId, JobTimeout)).Status);
    }
}
