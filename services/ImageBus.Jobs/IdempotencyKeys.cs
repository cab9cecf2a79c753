using Microsoft.EntityFrameworkCore;

namespace ImageBus.Jobs;

/// <summary>An unexpired idempotency key: the job it made and the hash of the request that made it.</summary>
public sealed record IdempotencyRecord(Guid JobId, string BodyHash);

/// <summary>
/// The table <c>idempotency_keys</c>: one row per tenant and key while the key is kept (<see cref="JobOptions.IdempotencyKeyRetention"/>).
/// Expiry is read against the database clock. Statements run in the caller's transaction when it has one, so a claim
/// commits with the job it names.
/// </summary>
public static class IdempotencyKeys
{
    public static async Task<IdempotencyRecord?> FindAsync(JobsDbContext db, string tenantId, string key, CancellationToken cancellationToken)
    {
        var rows = await db.Database.SqlQuery<IdempotencyRow>($"""
            SELECT job_id, body_hash FROM idempotency_keys
            WHERE tenant_id = {tenantId} AND key = {key} AND expires_at > now()
            """).ToListAsync(cancellationToken);
        return rows is [var row] ? new IdempotencyRecord(row.JobId, row.BodyHash) : null;
    }

    /// <summary>Claims the key for <paramref name="jobId"/>; false when an unexpired claim exists (also one another
    /// transaction committed meanwhile: the insert waits for it), which the caller then reads with <see cref="FindAsync"/>.
    /// An expired claim of the same key is removed first.</summary>
    public static async Task<bool> ClaimAsync(JobsDbContext db, string tenantId, string key, string bodyHash, Guid jobId, TimeSpan retention,
        CancellationToken cancellationToken)
    {
        await db.Database.ExecuteSqlAsync(
            $"DELETE FROM idempotency_keys WHERE tenant_id = {tenantId} AND key = {key} AND expires_at <= now()", cancellationToken);
        var inserted = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO idempotency_keys (tenant_id, key, body_hash, job_id, expires_at)
            VALUES ({tenantId}, {key}, {bodyHash}, {jobId}, now() + {retention})
            ON CONFLICT (tenant_id, key) DO NOTHING
            """, cancellationToken);
        return inserted == 1;
    }

    /// <summary>Removes every expired key; returns how many.</summary>
    public static Task<int> RemoveExpiredAsync(JobsDbContext db, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"DELETE FROM idempotency_keys WHERE expires_at <= now()", cancellationToken);

    /// <summary>A row as read (snake_case columns: job_id, body_hash).</summary>
    sealed class IdempotencyRow
    {
        public Guid JobId { get; set; }
        public string BodyHash { get; set; } = "";
    }
}
