using System.Net.Http.Json;
using System.Text.Json;
using ImageBus.Contracts;
using ImageBus.Testing;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary><c>GET /v1/jobs</c> through the real gateway: a tenant sees its own jobs only, newest first, in pages that neither
/// repeat nor skip, filtered by case id, status and time; an admin key sees any tenant's; bad parameters are all listed.</summary>
public sealed class JobListTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    readonly ImageBusCluster cluster = fixture.Cluster;

    [Fact]
    public async Task A_tenant_pages_through_its_own_jobs_newest_first_and_filters_them()
    {
        var owner = $"list-{Guid.NewGuid():N}"[..20];
        var other = $"other-{Guid.NewGuid():N}"[..20];
        var mine = new List<Guid>();
        foreach (var _ in Enumerable.Range(0, 3))
        {
            mine.Add(await cluster.SubmitAsync(SampleCases.Small(owner, 1)));
        }

        var theirs = await cluster.SubmitAsync(SampleCases.Small(other, 1));
        foreach (var jobId in mine.Append(theirs))
        {
            await cluster.WaitForJobAsync(jobId, TimeSpan.FromMinutes(2), JobStatuses.Completed);
        }

        var client = await cluster.ClientForTenantAsync(owner);
        var first = await PageAsync(client, "/v1/jobs?limit=2");
        Assert.Equal(2, first.Items.Count);
        Assert.NotNull(first.NextCursor);
        var second = await PageAsync(client, $"/v1/jobs?limit=2&cursor={first.NextCursor}");
        Assert.Null(second.NextCursor);
        var listed = first.Items.Concat(second.Items).ToList();
        // Each job once, none of the other tenant's, newest first (by when the orchestrator took each on).
        Assert.Equal(mine.Order(), listed.Select(j => j.JobId).Order());
        Assert.Equal(listed.OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.JobId).Select(j => j.JobId), listed.Select(j => j.JobId));
        Assert.All(listed, j => Assert.Equal((owner, JobStatuses.Completed, 1), (j.TenantId, j.Status, j.Counts.Completed)));

        var caseId = listed[1].CaseId;
        Assert.Equal([listed[1].JobId], (await PageAsync(client, $"/v1/jobs?caseId={caseId}")).Items.Select(j => j.JobId));
        Assert.Empty((await PageAsync(client, "/v1/jobs?status=generating")).Items);
        Assert.Empty((await PageAsync(client, $"/v1/jobs?createdFrom={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"))}")).Items);
        Assert.Empty((await PageAsync(client, $"/v1/jobs?tenantId={other}")).Items);

        Assert.Equal([theirs], (await PageAsync(await cluster.ClientForTenantAsync(other), "/v1/jobs")).Items.Select(j => j.JobId));
        Assert.Equal(listed.Select(j => j.JobId), (await PageAsync(cluster.Admin, $"/v1/jobs?tenantId={owner}")).Items.Select(j => j.JobId));
    }

    [Fact]
    public async Task Bad_parameters_are_listed_at_once()
    {
        using var response = await cluster.Gateway.GetAsync("/v1/jobs?status=done&limit=0&cursor=not-a-cursor");

        Assert.Equal(400, (int)response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["cursor", "limit", "status"], errors.EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal));
    }

    static async Task<Page> PageAsync(HttpClient client, string path) =>
        (await client.GetFromJsonAsync<Page>(path, JsonSerializerOptions.Web))!;

    sealed record Page(List<Summary> Items, string? NextCursor);

    sealed record Summary(Guid JobId, string TenantId, string CaseId, string Status, JobCounts Counts, DateTimeOffset CreatedAt);
}
