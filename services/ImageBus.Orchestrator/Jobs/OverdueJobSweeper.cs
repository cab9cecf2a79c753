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
/// asks the saga to end them as failed with a reason. It also finds jobs the gateway accepted that no saga
/// ever took on (a <c>job_requests</c> row without a <c>jobs</c> row: the command refused before it could be stored,
/// or lost before the outbox) and, past their deadline, has the saga record them failed (<see cref="FailUnstartedJob"/>),
/// so they end with the reason, the status and the event of any failed job. And it removes expired idempotency keys.
/// One instance sweeps at a time (advisory lock).
/// </summary>
public sealed class OverdueJobSweeper(
    IDbContextFactory<JobsDbContext> contexts,
    IBus publisher,
    IOptions<SweeperOptions> options,
    IOptions<JobOptions> jobOptions,
    TimeProvider clock,
    IMeterFactory meters,
    ILogger<OverdueJobSweeper> logger) : BackgroundService
{
    const long SweepLockKey = 0x1_4A6E_5EE9;
    const int BatchSize = 100;

    readonly Counter<long> overdue = meters.Create(OrchestratorMetrics.MeterName)
        .CreateCounter<long>("imagebus.sweeper.overdue_jobs", description: "Jobs found unfinished (or never started) past their deadline");

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

    /// <summary>One sweep; returns how many overdue jobs it found, started or not.</summary>
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
        var jobs = await StuckJobs.OverdueAsync(db, cutoff, BatchSize, cancellationToken);
        foreach (var job in jobs)
        {
            var late = clock.GetUtcNow() - job.DeadlineAt;
            logger.LogWarning("Job {JobId} is still {State} {Late} past its deadline{DryRun}",
                job.JobId, job.CurrentState, late, options.Value.DryRun ? " (dry run: left alone)" : "; forcing it to failed");
            if (!options.Value.DryRun)
            {
                await publisher.Publish(new ForceFailJob(job.JobId, $"still unfinished {late:g} past its deadline; ended by the sweeper"),
                    cancellationToken);
            }
        }

        var unstarted = await FailUnstartedAsync(db, cutoff, cancellationToken);
        if (!options.Value.DryRun)
        {
            await IdempotencyKeys.RemoveExpiredAsync(db, cancellationToken);
        }

        overdue.Add(jobs.Count + unstarted);
        await transaction.CommitAsync(cancellationToken);
        return jobs.Count + unstarted;
    }

    async Task<int> FailUnstartedAsync(JobsDbContext db, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        // Rows from before deadline_at was kept end by the default deadline.
        var jobs = await StuckJobs.UnstartedAsync(db, cutoff, jobOptions.Value.JobDeadline, BatchSize, cancellationToken);
        foreach (var job in jobs)
        {
            var late = clock.GetUtcNow() - job.DeadlineAt;
            logger.LogWarning("Job {JobId} was accepted at {AcceptedAt} and never started, {Late} past its deadline{DryRun}",
                job.JobId, job.AcceptedAt, late, options.Value.DryRun ? " (dry run: left alone)" : "; recording it failed");
            if (!options.Value.DryRun)
            {
                await publisher.Publish(new FailUnstartedJob(job.JobId, job.TenantId, job.CaseId, job.AcceptedAt, job.DeadlineAt,
                    "accepted but never started by its deadline (its command was lost or could not be stored); ended by the sweeper"),
                    cancellationToken);
            }
        }

        return jobs.Count;
    }
}
