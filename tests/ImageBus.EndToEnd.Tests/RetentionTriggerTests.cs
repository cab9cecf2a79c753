using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageBus.Contracts;
using ImageBus.Api;
using ImageBus.Gateway.Operations;
using ImageBus.Testing;
using Npgsql;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary><c>POST /v1/admin/retention/run</c> through the real gateway: a dry run reports an old job and removes nothing, a
/// real run removes its rows and blobs and counts them in the metric, and a pass while another holds the lock is 409.</summary>
public sealed class RetentionTriggerTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    readonly ImageBusCluster cluster = fixture.Cluster;

    [Fact]
    public async Task A_dry_run_reports_an_old_job_and_a_real_run_removes_its_rows_and_blobs()
    {
        var old = await cluster.SubmitAsync(SampleCases.Small(ImageBusCluster.DefaultTenant, 2));
        var recent = await cluster.SubmitAsync(SampleCases.Small(ImageBusCluster.DefaultTenant, 1));
        var oldStatus = await cluster.WaitForJobAsync(old, TimeSpan.FromSeconds(90), JobStatuses.Completed);
        await cluster.WaitForJobAsync(recent, TimeSpan.FromSeconds(90), JobStatuses.Completed);
        await using var database = NpgsqlDataSource.Create(cluster.Database.ConnectionString);
        // Every event recorded (the notifier records them after the saga publishes), then the job ended 40 days ago.
        await cluster.WaitUntilAsync("the old job's events are recorded", async () =>
            await CountAsync(database, $"SELECT count(*) FROM job_events WHERE job_id = '{old}' AND type = 'job.completed'") == 1,
            TimeSpan.FromSeconds(30));
        var events = await CountAsync(database, $"SELECT count(*) FROM job_events WHERE job_id = '{old}'");
        await ExecuteAsync(database, $"UPDATE jobs SET finished_at = now() - interval '40 days' WHERE job_id = '{old}'");
        // The two JPEGs the worker stored, and a thumbnail the gateway made when it was first asked for.
        var item = oldStatus.GetProperty("images")[0].GetProperty("itemId").GetString();
        Assert.Equal(HttpStatusCode.OK, (await cluster.Gateway.GetAsync($"/v1/jobs/{old}/images/{item}?variant=thumb")).StatusCode);
        var folder = Path.Combine(cluster.StorageRoot, ImageBusCluster.DefaultTenant, old.ToString("N"));
        var blobs = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Count();
        Assert.Equal(3, blobs);

        // No body: a dry run.
        var dryRun = await RunAsync(null);
        Assert.Equal((true, 1, (int)events, 0, (int?)null), (dryRun.DryRun, dryRun.Jobs, dryRun.Events, dryRun.Deliveries, dryRun.Blobs));
        Assert.Equal(HttpStatusCode.OK, (await cluster.Admin.GetAsync($"/v1/jobs/{old}")).StatusCode);
        Assert.Equal(blobs, Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Count());

        var pass = await RunAsync(new { dryRun = false });
        Assert.Equal((false, 1, (int)events, 0, (int?)blobs), (pass.DryRun, pass.Jobs, pass.Events, pass.Deliveries, pass.Blobs));
        Assert.Equal(HttpStatusCode.NotFound, (await cluster.Admin.GetAsync($"/v1/jobs/{old}")).StatusCode);
        Assert.Equal(0, await CountAsync(database, $"SELECT count(*) FROM job_images WHERE job_id = '{old}'"));
        Assert.Equal(0, await CountAsync(database, $"SELECT count(*) FROM job_events WHERE job_id = '{old}'"));
        Assert.False(Directory.Exists(folder) && Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Any());
        Assert.Equal(HttpStatusCode.OK, (await cluster.Admin.GetAsync($"/v1/jobs/{recent}")).StatusCode);

        await cluster.WaitUntilAsync("the metric counts the removed job", async () =>
        {
            var metrics = await cluster.Anonymous().GetStringAsync("/metrics");
            return metrics.Split('\n').Any(line => line.StartsWith("imagebus_retention_removed", StringComparison.Ordinal)
                && line.Contains("dry_run=\"false\"", StringComparison.Ordinal) && line.Contains("kind=\"jobs\"", StringComparison.Ordinal)
                && line.TrimEnd().EndsWith(" 1", StringComparison.Ordinal));
        }, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_pass_while_another_instance_holds_the_lock_is_a_conflict_and_tenant_keys_are_refused()
    {
        await using var database = NpgsqlDataSource.Create(cluster.Database.ConnectionString);
        await using (var holder = await database.OpenConnectionAsync())
        {
            await using var command = new NpgsqlCommand($"SELECT pg_advisory_lock({RetentionSweeper.SweepLockKey})", holder);
            await command.ExecuteScalarAsync();
            using var busy = await cluster.Admin.PostAsJsonAsync("/v1/admin/retention/run", new { dryRun = true });
            Assert.Equal(HttpStatusCode.Conflict, busy.StatusCode);
            Assert.Equal("Retention is running elsewhere.", (await busy.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
            // A pooled connection keeps its session's lock: let go of it explicitly.
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({RetentionSweeper.SweepLockKey})", holder);
            await release.ExecuteScalarAsync();
        }

        Assert.Equal(HttpStatusCode.OK, (await cluster.Admin.PostAsJsonAsync("/v1/admin/retention/run", new { dryRun = true })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await cluster.Gateway.PostAsJsonAsync("/v1/admin/retention/run", new { dryRun = false })).StatusCode);
    }

    async Task<RetentionRunResponse> RunAsync(object? body)
    {
        using var response = body is null
            ? await cluster.Admin.PostAsync("/v1/admin/retention/run", null)
            : await cluster.Admin.PostAsJsonAsync("/v1/admin/retention/run", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<RetentionRunResponse>(JsonSerializerOptions.Web))!;
    }

    static async Task<long> CountAsync(NpgsqlDataSource database, string sql)
    {
        await using var command = database.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    static async Task ExecuteAsync(NpgsqlDataSource database, string sql)
    {
        await using var command = database.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
