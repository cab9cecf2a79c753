using Microsoft.EntityFrameworkCore;

namespace ImageBus.Jobs;

/// <summary>A job still unfinished (pending or generating) past its deadline: its scheduled deadline should have ended it.</summary>
public sealed record OverdueJob(Guid JobId, string TenantId, string CurrentState, DateTimeOffset DeadlineAt);

/// <summary>A job the gateway accepted that no saga took on (a <c>job_requests</c> row without a <c>jobs</c> row) by its deadline.</summary>
public sealed record UnstartedJob(Guid JobId, string TenantId, string CaseId, DateTimeOffset AcceptedAt, DateTimeOffset DeadlineAt);

/// <summary>The queries that find jobs gone wrong and count jobs by state, shared by the orchestrator's backstop sweeper
/// and gauge and the gateway's system health.</summary>
public static class StuckJobs
{
    /// <summary>Jobs pending or generating whose deadline is before <paramref name="cutoff"/>, oldest deadline first.</summary>
    public static async Task<IReadOnlyList<OverdueJob>> OverdueAsync(JobsDbContext db, DateTimeOffset cutoff, int limit,
        CancellationToken cancellationToken) =>
        await db.Jobs.AsNoTracking()
            .Where(j => (j.CurrentState == "Pending" || j.CurrentState == "Generating") && j.DeadlineAt < cutoff)
            .OrderBy(j => j.DeadlineAt)
            .Take(limit)
            .Select(j => new OverdueJob(j.CorrelationId, j.TenantId, j.CurrentState, j.DeadlineAt!.Value))
            .ToListAsync(cancellationToken);

    /// <summary>Accepted jobs without a saga whose deadline (acceptance + the job's deadline; <paramref name="defaultDeadline"/>
    /// for rows from before it was kept) is before <paramref name="cutoff"/>, oldest first.</summary>
    public static async Task<IReadOnlyList<UnstartedJob>> UnstartedAsync(JobsDbContext db, DateTimeOffset cutoff, TimeSpan defaultDeadline,
        int limit, CancellationToken cancellationToken)
    {
        var rows = await db.Database.SqlQuery<UnstartedRow>($"""
            SELECT r.job_id, r.tenant_id, r.case_id, r.accepted_at,
                   coalesce(r.deadline_at, r.accepted_at + {defaultDeadline}) AS deadline_at
            FROM job_requests r
            WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.job_id = r.job_id)
              AND coalesce(r.deadline_at, r.accepted_at + {defaultDeadline}) < {cutoff}
            ORDER BY r.accepted_at
            LIMIT {limit}
            """).ToListAsync(cancellationToken);
        return [.. rows.Select(r => new UnstartedJob(r.JobId, r.TenantId, r.CaseId, r.AcceptedAt, r.DeadlineAt))];
    }

    /// <summary>How many jobs are in each saga state; jobs accepted that no saga took on yet count as <c>Accepted</c>.</summary>
    public static async Task<IReadOnlyList<(string State, long Count)>> CountByStateAsync(JobsDbContext db, CancellationToken cancellationToken)
    {
        var sagas = await db.Jobs.GroupBy(j => j.CurrentState).Select(g => new { State = g.Key, Count = g.LongCount() }).ToListAsync(cancellationToken);
        var notStarted = await db.JobRequests.LongCountAsync(r => !db.Jobs.Any(j => j.CorrelationId == r.JobId), cancellationToken);
        return [.. sagas.Select(s => (s.State, s.Count)), ("Accepted", notStarted)];
    }

    /// <summary>An accepted job without a saga (snake_case columns).</summary>
    sealed class UnstartedRow
    {
        public Guid JobId { get; set; }
        public string TenantId { get; set; } = "";
        public string CaseId { get; set; } = "";
        public DateTimeOffset AcceptedAt { get; set; }
        public DateTimeOffset DeadlineAt { get; set; }
    }
}
