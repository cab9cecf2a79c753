using ImageBus.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ImageBus.Jobs;

/// <summary>Percentiles of durations in a window, in milliseconds; null when nothing finished in it.</summary>
public sealed record DurationFigures(double? P50, double? P95, int Count);

/// <summary>Images finished in a window, how many of them failed (failed or timed out), and the failures by error code.</summary>
public sealed record FailureFigures(int Total, int Failed, double Rate, IReadOnlyDictionary<string, int> ByErrorCode);

public sealed record FailureWindows(FailureFigures LastHour, FailureFigures LastDay);

/// <summary>A job that should have ended, or started, and did not.</summary>
public sealed record StuckJob(Guid JobId, string TenantId, string Status, DateTimeOffset DeadlineAt, long OverdueSeconds, string Reason);

public sealed record StuckJobFigures(int Count, IReadOnlyList<StuckJob> Jobs);

/// <summary>The jobs' part of system health.</summary>
public sealed record JobHealthReport(
    IReadOnlyDictionary<string, long> JobsByState, DurationFigures ImageDurationMs, DurationFigures JobDurationMs,
    FailureWindows Failures, StuckJobFigures Stuck);

/// <summary>Computes the jobs' part of system health from the job tables: jobs by state, image and job durations over
/// the last hour (<c>percentile_cont</c>), the failure rate by error code over the last hour and day, and the stuck jobs
/// as the orchestrator's backstop sweeper finds them (<see cref="StuckJobs"/>), without its grace.</summary>
public sealed class JobHealth(IDbContextFactory<JobsDbContext> contexts, IOptions<JobOptions> options, TimeProvider clock)
{
    public const string PastDeadline = "past its deadline";
    public const string NeverStarted = "accepted, never started";
    const int StuckListed = 100;

    public async Task<JobHealthReport> ReportAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var byState = (await StuckJobs.CountByStateAsync(db, cancellationToken))
            .GroupBy(c => JobState.StatusOf(c.State))
            .ToDictionary(g => g.Key, g => g.Sum(c => c.Count));
        var hourAgo = now.AddHours(-1);
        // percentile_cont interpolates, as a dashboard's p50/p95 usually do.
        var imageDurations = await DurationsAsync(db.Database.SqlQuery<DurationRow>($"""
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95,
                   count(*)::int AS count
            FROM (SELECT extract(epoch FROM (updated_at - dispatched_at)) * 1000 AS ms FROM job_images
                  WHERE status = {ImageStatuses.Completed} AND updated_at >= {hourAgo} AND dispatched_at IS NOT NULL) AS images
            """), cancellationToken);
        var jobDurations = await DurationsAsync(db.Database.SqlQuery<DurationRow>($"""
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95,
                   count(*)::int AS count
            FROM (SELECT extract(epoch FROM (finished_at - created_at)) * 1000 AS ms FROM jobs
                  WHERE finished_at >= {hourAgo} AND current_state IN ('Completed', 'Partial', 'Failed')) AS finished
            """), cancellationToken);
        var failures = new FailureWindows(await FailuresAsync(db, hourAgo, cancellationToken), await FailuresAsync(db, now.AddDays(-1), cancellationToken));

        var overdue = await StuckJobs.OverdueAsync(db, now, StuckListed, cancellationToken);
        var unstarted = await StuckJobs.UnstartedAsync(db, now, options.Value.JobDeadline, StuckListed, cancellationToken);
        List<StuckJob> stuck =
        [
            .. overdue.Select(j => new StuckJob(j.JobId, j.TenantId, JobState.StatusOf(j.CurrentState), j.DeadlineAt,
                (long)(now - j.DeadlineAt).TotalSeconds, PastDeadline)),
            .. unstarted.Select(j => new StuckJob(j.JobId, j.TenantId, JobStatuses.Accepted, j.DeadlineAt,
                (long)(now - j.DeadlineAt).TotalSeconds, NeverStarted)),
        ];
        return new JobHealthReport(byState, imageDurations, jobDurations, failures, new StuckJobFigures(stuck.Count, stuck));
    }

    static async Task<DurationFigures> DurationsAsync(IQueryable<DurationRow> query, CancellationToken cancellationToken)
    {
        var row = await query.SingleAsync(cancellationToken);
        return new DurationFigures(Round(row.P50), Round(row.P95), row.Count);
    }

    static async Task<FailureFigures> FailuresAsync(JobsDbContext db, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var rows = await db.JobImages.AsNoTracking()
            .Where(i => i.UpdatedAt >= since && i.Status != ImageStatuses.Queued)
            .GroupBy(i => new { i.Status, i.ErrorCode })
            .Select(g => new { g.Key.Status, g.Key.ErrorCode, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var failed = rows.Where(r => r.Status is ImageStatuses.Failed or ImageStatuses.TimedOut).ToList();
        var total = rows.Sum(r => r.Count);
        var failedCount = failed.Sum(r => r.Count);
        return new FailureFigures(total, failedCount, total == 0 ? 0 : Math.Round((double)failedCount / total, 4),
            failed.GroupBy(r => r.ErrorCode ?? "UNKNOWN").ToDictionary(g => g.Key, g => g.Sum(r => r.Count)));
    }

    static double? Round(double? milliseconds) => milliseconds is { } ms ? Math.Round(ms, 1) : null;

    sealed class DurationRow
    {
        public double? P50 { get; set; }
        public double? P95 { get; set; }
        public int Count { get; set; }
    }
}
