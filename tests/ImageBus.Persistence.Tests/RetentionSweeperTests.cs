using System.Diagnostics.Metrics;
using ImageBus.Contracts;
using ImageBus.Gateway.Operations;
using ImageBus.Jobs;
using ImageBus.Messaging.Sagas;
using ImageBus.Storage;
using ImageBus.Testing;
using ImageBus.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Xunit;

namespace ImageBus.Persistence.Tests;

/// <summary>Retention on the real database and file system: a dry run removes nothing and counts what would go; a real pass
/// removes an old job with its images' blobs, uploads, events and deliveries, and keeps a recent job and everything of it.</summary>
public sealed class RetentionSweeperTests
{
    [Fact]
    public async Task Old_jobs_go_with_everything_they_own_and_recent_ones_stay()
    {
        await using var host = await SagaHost.StartAsync(SagaConcurrency.Pessimistic);
        await host.Database.ApplyAsync(OwnedSchema.Of<WebhooksDbContext>());
        var storage = Directory.CreateTempSubdirectory("imagebus-retention-");
        await using var database = NpgsqlDataSource.Create(host.Database.ConnectionString);
        var blobs = new FileSystemBlobStore(Options.Create(new StorageOptions { Root = storage.FullName }));
        var old = await GeneratingJobAsync(host, "tenant-old");
        var recent = await GeneratingJobAsync(host, "tenant-new");
        var upload = BlobKeys.ForUpload("tenant-old");
        foreach (var (job, tenant) in new[] { (old, "tenant-old"), (recent, "tenant-new") })
        {
            await blobs.PutAsync(BlobKeys.ForImage(tenant, job, "a", 1, "image.jpg"), new byte[] { 1 }, "image/jpeg", default);
            await blobs.PutAsync(BlobKeys.ForImage(tenant, job, "a", 1, "thumbnail.jpg"), new byte[] { 2 }, "image/jpeg", default);
            await ExecuteAsync(database, $"""
                UPDATE jobs SET current_state = 'Completed', finished_at = now() - interval '{(job == old ? "40 days" : "1 day")}' WHERE job_id = '{job}';
                INSERT INTO job_events (job_id, sequence, tenant_id, type, payload, recorded_at) VALUES ('{job}', 1, '{tenant}', 'job.completed', '{"{}"}', now());
                INSERT INTO webhook_deliveries (id, endpoint_id, job_id, sequence, event_type, status, attempts, next_attempt_at, created_at)
                    VALUES ('{Guid.NewGuid()}', '{await EndpointAsync(database, tenant)}', '{job}', 1, 'job.completed', 'delivered', 1, now(), now());
                """);
        }

        await blobs.PutAsync(upload, new byte[] { 3 }, "image/png", default);
        await ExecuteAsync(database, $"UPDATE job_images SET source_image_key = '{upload}' WHERE job_id = '{old}' AND item_id = 'a'");

        using var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var sweeper = new RetentionSweeper(new JobRetention(database), new WebhookRetention(database), blobs, database,
            Options.Create(new RetentionOptions { KeepJobsFor = TimeSpan.FromDays(30), BatchSize = 1 }), TimeProvider.System,
            metrics.GetRequiredService<IMeterFactory>(), NullLogger<RetentionSweeper>.Instance);

        var dryRun = await sweeper.RunAsync(dryRun: true, CancellationToken.None);
        Assert.Equal((true, 1, 1, 1, 0), (dryRun.Ran, dryRun.Jobs, dryRun.Events, dryRun.Deliveries, dryRun.Blobs));
        Assert.Equal(2, await CountAsync(database, "SELECT count(*) FROM jobs"));
        Assert.Equal(5, Directory.EnumerateFiles(storage.FullName, "*", SearchOption.AllDirectories).Count());

        var pass = await sweeper.RunAsync(dryRun: false, CancellationToken.None);
        Assert.Equal((true, 1, 1, 1, 3), (pass.Ran, pass.Jobs, pass.Events, pass.Deliveries, pass.Blobs));
        Assert.Equal([recent], await IdsAsync(database, "SELECT job_id FROM jobs"));
        Assert.Equal([recent], await IdsAsync(database, "SELECT job_id FROM job_events"));
        Assert.Equal([recent], await IdsAsync(database, "SELECT job_id FROM webhook_deliveries"));
        Assert.Equal(0, await CountAsync(database, $"SELECT count(*) FROM job_images WHERE job_id = '{old}'"));
        Assert.Null(await blobs.OpenReadAsync(upload, default));
        Assert.Equal(2, Directory.EnumerateFiles(storage.FullName, "*", SearchOption.AllDirectories).Count());
        Assert.NotNull(await blobs.OpenReadAsync(BlobKeys.ForImage("tenant-new", recent, "a", 1, "image.jpg"), default));

        Assert.Equal(0, (await sweeper.RunAsync(dryRun: false, CancellationToken.None)).Jobs);
        storage.Delete(recursive: true);
    }

    [Fact]
    public async Task Only_one_instance_sweeps_at_a_time()
    {
        await using var host = await SagaHost.StartAsync(SagaConcurrency.Pessimistic);
        await host.Database.ApplyAsync(OwnedSchema.Of<WebhooksDbContext>());
        await using var database = NpgsqlDataSource.Create(host.Database.ConnectionString);
        using var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var sweeper = new RetentionSweeper(new JobRetention(database), new WebhookRetention(database),
            new FileSystemBlobStore(Options.Create(new StorageOptions { Root = Path.GetTempPath() })), database,
            Options.Create(new RetentionOptions()), TimeProvider.System, metrics.GetRequiredService<IMeterFactory>(), NullLogger<RetentionSweeper>.Instance);

        // Another gateway in the middle of its pass holds the sweep lock.
        await using var other = await database.OpenConnectionAsync();
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", other))
        {
            take.Parameters.AddWithValue("key", RetentionSweeper.SweepLockKey);
            await take.ExecuteNonQueryAsync();
        }

        Assert.False((await sweeper.RunAsync(dryRun: false, CancellationToken.None)).Ran);
        await using (var release = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", other))
        {
            release.Parameters.AddWithValue("key", RetentionSweeper.SweepLockKey);
            await release.ExecuteNonQueryAsync();
        }

        Assert.True((await sweeper.RunAsync(dryRun: false, CancellationToken.None)).Ran);
    }

    static async Task<Guid> GeneratingJobAsync(SagaHost host, string tenant)
    {
        var jobId = Guid.NewGuid();
        await host.Harness.Bus.Publish(new GenerateCaseImages(jobId, tenant, "case", [new CaseImageItem("a", ImageKinds.Custom, "A", Prompt: "a")], 256));
        await host.WaitForStateAsync(jobId, "Generating", TimeSpan.FromSeconds(30));
        return jobId;
    }

    static async Task<Guid> EndpointAsync(NpgsqlDataSource database, string tenant)
    {
        var id = Guid.NewGuid();
        await ExecuteAsync(database, $"""
            INSERT INTO webhook_endpoints (id, tenant_id, url, description, event_types, enabled, secret, created_at, updated_at)
            VALUES ('{id}', '{tenant}', 'https://example.com/hook', '', '{"{}"}', true, 'whsec_x', now(), now())
            """);
        return id;
    }

    static async Task ExecuteAsync(NpgsqlDataSource database, string sql)
    {
        await using var command = database.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    static async Task<long> CountAsync(NpgsqlDataSource database, string sql)
    {
        await using var command = database.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    static async Task<List<Guid>> IdsAsync(NpgsqlDataSource database, string sql)
    {
        await using var command = database.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<Guid>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }
}
