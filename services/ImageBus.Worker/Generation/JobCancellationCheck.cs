using ImageBus.Contracts;
using ImageBus.Jobs;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ImageBus.Worker.Generation;

/// <summary>Tells whether a job was cancelled, from the saga's own row, so workers skip the images of a cancelled
/// job that were already queued instead of paying Gemini for them.</summary>
public sealed class JobCancellationCheck
{
    readonly IDbContextFactory<JobsDbContext> contexts;
    readonly string stateQuery;

    public JobCancellationCheck(IDbContextFactory<JobsDbContext> contexts)
    {
        this.contexts = contexts;
        // Table and columns named from ImageBus.Jobs' model, which owns the table: no SQL here repeats its mapping.
        using var db = contexts.CreateDbContext();
        var job = db.Model.FindEntityType(typeof(JobState))!;
        var key = job.FindProperty(nameof(JobState.CorrelationId))!.GetColumnName();
        var state = job.FindProperty(nameof(JobState.CurrentState))!.GetColumnName();
        stateQuery = $"SELECT {state} FROM {job.GetTableName()} WHERE {key} = $1";
    }

    public async Task<bool> IsCancelledAsync(Guid jobId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return IsCancelledState(await db.Jobs.Where(j => j.CorrelationId == jobId).Select(j => j.CurrentState).FirstOrDefaultAsync(ct));
    }

    /// <summary>The same question as a statement to send in one batch with others (one round trip for several); its
    /// answer goes to <see cref="IsCancelledState"/>.</summary>
    public NpgsqlBatchCommand StateStatement(Guid jobId) => new(stateQuery) { Parameters = { new() { Value = jobId } } };

    // The saga's state name (Cancelled) is the public status in another case; no row is a job not cancelled.
    public static bool IsCancelledState(object? state) =>
        string.Equals(state as string, JobStatuses.Cancelled, StringComparison.OrdinalIgnoreCase);
}
