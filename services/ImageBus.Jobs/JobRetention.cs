using Npgsql;

namespace ImageBus.Jobs;

/// <summary>A job old enough to go: its id, its tenant (for its blobs' keys) and the source images uploaded for it.</summary>
public sealed record ExpiredJob(Guid JobId, string TenantId, IReadOnlyList<string> UploadKeys);

/// <summary>Finds and removes the jobs tables' rows of jobs past retention: jobs that ended (finished before the cutoff)
/// with their images, and requests no saga ever took on (rejected, or never started) accepted before it.</summary>
public sealed class JobRetention(NpgsqlDataSource database)
{
    /// <summary>Up to <paramref name="limit"/> expired jobs with ids above <paramref name="after"/>, in id order (pages for a dry run,
    /// which removes nothing and so cannot page by removing).</summary>
    public async Task<IReadOnlyList<ExpiredJob>> FindAsync(DateTimeOffset cutoff, int limit, Guid after, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            """
            SELECT job_id, tenant_id, uploads FROM (
                SELECT j.job_id, j.tenant_id,
                       coalesce(array_agg(i.source_image_key) FILTER (WHERE i.source_image_key IS NOT NULL), '{}') AS uploads
                FROM jobs j LEFT JOIN job_images i ON i.job_id = j.job_id
                WHERE j.finished_at < @cutoff AND lower(j.current_state) = ANY(@terminal) AND j.job_id > @after
                GROUP BY j.job_id, j.tenant_id
                UNION ALL
                SELECT r.job_id, r.tenant_id, '{}'
                FROM job_requests r
                WHERE r.accepted_at < @cutoff AND r.job_id > @after AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.job_id = r.job_id)
            ) expired
            ORDER BY job_id
            LIMIT @limit
            """);
        command.Parameters.AddWithValue("cutoff", cutoff);
        command.Parameters.AddWithValue("terminal", JobState.TerminalStatuses.ToArray());
        command.Parameters.AddWithValue("after", after);
        command.Parameters.AddWithValue("limit", limit);
        var expired = new List<ExpiredJob>(limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            expired.Add(new ExpiredJob(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<string[]>(2)));
        }

        return expired;
    }

    /// <summary>Removes the jobs' rows (their images go with them) and their requests; returns how many jobs went.</summary>
    public async Task<int> DeleteAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            """
            WITH requests AS (DELETE FROM job_requests WHERE job_id = ANY(@ids) RETURNING job_id),
                 sagas AS (DELETE FROM jobs WHERE job_id = ANY(@ids) RETURNING job_id)
            SELECT count(DISTINCT job_id) FROM (SELECT job_id FROM requests UNION ALL SELECT job_id FROM sagas) removed
            """);
        command.Parameters.AddWithValue("ids", jobIds.ToArray());
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }
}
