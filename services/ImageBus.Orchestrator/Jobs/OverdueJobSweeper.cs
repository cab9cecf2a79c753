using System.Diagnostics.Metrics;
using ImageBus.Jobs;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ImageBus.Orchestrator.Jobs;

/// <summary>
/// The backstop: every job's scheduled deadline ends it in time, so a job still unfinished well past
/// its deadline means something broke (a lost scheduled message, a bug). The sweeper finds such jobs,
/// logs each, counts them (metric <c>imagebus.sweeper.overdue_jobs</c>) and, unless in dry-run mode,
/// asks the saga to end them as failed with a reason. One instance sweeps at a time (advisory lock).
/// </summary>
public sealed class OverdueJobSweeper(
    IDbContextFactory<JobsDbContext> contexts,
    IBus publisher,
    IOptions<SweeperOptions> options,
    TimeProvider clock,
    IMeterFactory meters,
    ILogger<OverdueJobSweeper> logger) : BackgroundService
{
    const long SweepLockKey = 0x1_4A6E_5EE9;
    const int BatchSize = 100;

    readonly Counter<long> overdue = meters.Create(OrchestratorMetrics.MeterName)
        .CreateCounter<long>("imagebus.sweeper.overdue_jobs", description: "Jobs found unfinished past their deadline");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogError(exception, "The overdue job sweep failed; trying again in {Interval}", options.Value.Interval);
            }
        }
    }

    /// <summary>One sweep; returns how many overdue jobs it found.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var locked = await db.Database.SqlQuery<bool>($"SELECT pg_try_advisory_xact_lock({SweepLockKey}) AS \"Value\"")
            .SingleAsync(cancellationToken);
        if (!locked)
        {
            return 0;
        }

        var cutoff = clock.GetUtcNow() - options.Value.Grace;
        var jobs = await db.Jobs.AsNoTracking()
            .Where(j => (j.CurrentState == "Pending" || j.CurrentState == "Generating") && j.DeadlineAt < cutoff)
            .OrderBy(j => j.DeadlineAt)
            .Select(j => new { j.CorrelationId, j.CurrentState, j.DeadlineAt })
            .Take(BatchSize)
            .ToListAsync(cancellationToken);
        foreach (var job in jobs)
        {
            var late = clock.GetUtcNow() - job.DeadlineAt!.Value;
            logger.LogWarning("Job {JobId} is still {State} {Late} past its deadline{DryRun}",
                job.CorrelationId, job.CurrentState, late, options.Value.DryRun ? " (dry run: left alone)" : "; forcing it to failed");
            if (!options.Value.DryRun)
            {
                await publisher.Publish(new ForceFailJob(job.CorrelationId, $"still unfinished {late:g} past its deadline; ended by the sweeper"),
                    cancellationToken);
            }
        }

        overdue.Add(jobs.Count);
        await transaction.CommitAsync(cancellationToken);
        return jobs.Count;
    }
}
