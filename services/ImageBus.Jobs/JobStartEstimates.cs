using ImageBus.Contracts;
using Microsoft.EntityFrameworkCore;

namespace ImageBus.Jobs;

/// <summary>Where a live job waiting for one of its tenant's generating slots stands: how many of the tenant's jobs wait
/// ahead of it, and when it may start.</summary>
/// <param name="EstimatedStartAt">Null when no job has finished yet to tell how long jobs take.</param>
public sealed record JobStartEstimate(int JobsAhead, DateTimeOffset? EstimatedStartAt);

/// <summary>Estimates a pending job's start from the jobs table alone: the tenant's slots free up as its generating jobs
/// reach the typical duration of its recent jobs (anyone's, when the tenant has none yet), and each job ahead takes a slot
/// for that long. An estimate, not a promise: it does not see the Gemini budget or how big each job is.</summary>
public static class JobStartEstimates
{
    /// <summary>Recent jobs whose durations make the typical one.</summary>
    const int RecentJobs = 20;

    const string PendingState = "Pending";
    const string GeneratingState = "Generating";

    public static async Task<JobStartEstimate> ForAsync(
        JobsDbContext db, JobState job, int slotsPerTenant, DateTimeOffset now, CancellationToken ct)
    {
        var tenantJobs = db.Jobs.AsNoTracking().Where(j => j.TenantId == job.TenantId && j.Mode != GenerationModes.Batch);
        var ahead = await tenantJobs.CountAsync(j => j.CurrentState == PendingState
            && (j.CreatedAt < job.CreatedAt || (j.CreatedAt == job.CreatedAt && j.CorrelationId < job.CorrelationId)), ct);
        var generatingSince = await tenantJobs.Where(j => j.CurrentState == GeneratingState && j.StartedAt != null)
            .Select(j => j.StartedAt!.Value).ToListAsync(ct);
        var typical = await TypicalDurationAsync(tenantJobs, ct) ?? await TypicalDurationAsync(db.Jobs.AsNoTracking(), ct);
        return new(ahead, typical is { } duration ? StartAt(now, duration, slotsPerTenant, generatingSince, ahead) : null);
    }

    /// <summary>When the job after <paramref name="ahead"/> others gets a slot: every slot is free at the end of the job in it
    /// (a typical duration after it started, or now if that is past), and each job ahead keeps the first free one that long.</summary>
    public static DateTimeOffset StartAt(DateTimeOffset now, TimeSpan typical, int slots, IReadOnlyList<DateTimeOffset> generatingSince, int ahead)
    {
        var freeAt = new PriorityQueue<DateTimeOffset, DateTimeOffset>();
        foreach (var started in generatingSince.Order().Take(slots))
        {
            var end = started + typical > now ? started + typical : now;
            freeAt.Enqueue(end, end);
        }

        while (freeAt.Count < slots)
        {
            freeAt.Enqueue(now, now);
        }

        for (var i = 0; i < ahead; i++)
        {
            var next = freeAt.Dequeue() + typical;
            freeAt.Enqueue(next, next);
        }

        return freeAt.Peek();
    }

    /// <summary>The median time the latest finished jobs took from their start; null when none has.</summary>
    static async Task<TimeSpan?> TypicalDurationAsync(IQueryable<JobState> jobs, CancellationToken ct)
    {
        var recent = await jobs.Where(j => j.StartedAt != null && j.FinishedAt != null)
            .OrderByDescending(j => j.FinishedAt).Take(RecentJobs)
            .Select(j => new { Started = j.StartedAt!.Value, Finished = j.FinishedAt!.Value }).ToListAsync(ct);
        if (recent.Count == 0)
        {
            return null;
        }

        var durations = recent.Select(j => j.Finished - j.Started).Order().ToList();
        return durations[durations.Count / 2];
    }
}
