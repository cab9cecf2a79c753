using ImageBus.Contracts;
using ImageBus.Jobs;
using Microsoft.EntityFrameworkCore;

namespace ImageBus.Worker.Generation;

/// <summary>Tells whether a job was cancelled, from the saga's own row, so workers skip the images of a cancelled
/// job that were already queued instead of paying Gemini for them.</summary>
public sealed class JobCancellationCheck(IDbContextFactory<JobsDbContext> contexts)
{
    public async Task<bool> IsCancelledAsync(Guid jobId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var state = await db.Jobs.Where(j => j.CorrelationId == jobId).Select(j => j.CurrentState).FirstOrDefaultAsync(ct);
        // The saga's state name (Cancelled) is the public status in another case.
        return string.Equals(state, JobStatuses.Cancelled, StringComparison.OrdinalIgnoreCase);
    }
}
