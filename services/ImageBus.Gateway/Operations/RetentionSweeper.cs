using System.Diagnostics.Metrics;
using ImageBus.Contracts;
using ImageBus.Jobs;
using ImageBus.Storage;
using ImageBus.Webhooks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ImageBus.Gateway.Operations;

/// <summary>What one retention pass removed (or, in a dry run, would remove). <see cref="Ran"/> is false when another
/// instance was sweeping.</summary>
public sealed record RetentionPass(bool Ran, bool DryRun, DateTimeOffset Cutoff, int Jobs, int Events, int Deliveries, int Blobs);

/// <summary>Removes what is past <see cref="RetentionOptions.KeepJobsFor"/>, a batch of jobs at a time: first their blobs (images
/// in every variant and attempt, uploaded source images), then in one go their webhook rows and their job rows, so a pass cut
/// short leaves rows whose blobs a later pass removes again (deleting a missing blob is no error), never blobs without rows.
/// One instance at a time (an advisory lock); every pass logged and counted (metric <c>imagebus.retention.removed</c>).</summary>
public sealed class RetentionSweeper(
    JobRetention jobs,
    WebhookRetention webhooks,
    IBlobStore blobs,
    NpgsqlDataSource database,
    IOptions<RetentionOptions> options,
    TimeProvider clock,
    IMeterFactory meters,
    ILogger<RetentionSweeper> logger) : BackgroundService
{
    /// <summary>The advisory lock a sweeping instance holds.</summary>
    public const long SweepLockKey = 0x1_4A6E_2E7E;

    readonly Counter<long> removed = meters.Create("ImageBus.Gateway")
        .CreateCounter<long>("imagebus.retention.removed", "{item}", "Jobs, events, deliveries and blobs removed (or found, in a dry run) by retention");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.Interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunAsync(options.Value.DryRun, stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogError(exception, "The retention sweep failed; trying again in {Interval}", options.Value.Interval);
            }
        }
    }

    /// <summary>One pass over everything expired now (the admin API runs one on demand).</summary>
    public async Task<RetentionPass> RunAsync(bool dryRun, CancellationToken cancellationToken)
    {
        var cutoff = clock.GetUtcNow() - options.Value.KeepJobsFor;
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        if (!await LockAsync(connection, "pg_try_advisory_lock", cancellationToken))
        {
            return new RetentionPass(false, dryRun, cutoff, 0, 0, 0, 0);
        }

        try
        {
            var pass = new RetentionPass(true, dryRun, cutoff, 0, 0, 0, 0);
            var after = Guid.Empty;
            while (await jobs.FindAsync(cutoff, options.Value.BatchSize, after, cancellationToken) is { Count: > 0 } batch)
            {
                var ids = batch.Select(j => j.JobId).ToList();
                pass = dryRun ? await CountAsync(pass, ids, cancellationToken) : await RemoveAsync(pass, batch, ids, cancellationToken);
                after = ids[^1];
            }

            Record(pass);
            return pass;
        }
        finally
        {
            await LockAsync(connection, "pg_advisory_unlock", CancellationToken.None);
        }
    }

    async Task<RetentionPass> CountAsync(RetentionPass pass, List<Guid> ids, CancellationToken cancellationToken)
    {
        var rows = await webhooks.CountForJobsAsync(ids, cancellationToken);
        return pass with { Jobs = pass.Jobs + ids.Count, Events = pass.Events + rows.Events, Deliveries = pass.Deliveries + rows.Deliveries };
    }

    async Task<RetentionPass> RemoveAsync(RetentionPass pass, IReadOnlyList<ExpiredJob> batch, List<Guid> ids, CancellationToken cancellationToken)
    {
        var blobCount = 0;
        // A request refused for its tenant id never stored anything.
        foreach (var job in batch.Where(j => TenantIds.IsValid(j.TenantId)))
        {
            blobCount += await blobs.DeleteAsync(BlobKeys.ForJob(job.TenantId, job.JobId), cancellationToken);
            foreach (var upload in job.UploadKeys.Where(key => BlobKeys.IsUploadOf(job.TenantId, key)))
            {
                blobCount += await blobs.DeleteAsync(upload, cancellationToken);
            }
        }

        var rows = await webhooks.DeleteForJobsAsync(ids, cancellationToken);
        var removedJobs = await jobs.DeleteAsync(ids, cancellationToken);
        return new RetentionPass(true, false, pass.Cutoff, pass.Jobs + removedJobs, pass.Events + rows.Events,
            pass.Deliveries + rows.Deliveries, pass.Blobs + blobCount);
    }

    void Record(RetentionPass pass)
    {
        foreach (var (kind, count) in new[] { ("jobs", pass.Jobs), ("events", pass.Events), ("deliveries", pass.Deliveries), ("blobs", pass.Blobs) })
        {
            removed.Add(count, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("dry_run", pass.DryRun));
        }

        logger.LogInformation(
            "Retention {Mode}: {Jobs} jobs ended before {Cutoff}, {Events} events, {Deliveries} webhook deliveries, {Blobs} blobs",
            pass.DryRun ? "dry run found" : "removed", pass.Jobs, pass.Cutoff, pass.Events, pass.Deliveries, pass.Blobs);
    }

    static async Task<bool> LockAsync(NpgsqlConnection connection, string function, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {function}(@key)", connection);
        command.Parameters.AddWithValue("key", SweepLockKey);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
