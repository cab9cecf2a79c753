using Npgsql;

namespace ImageBus.Webhooks;

/// <summary>What removing jobs removes of the webhook tables: their recorded events and their deliveries (attempts go with them).</summary>
public readonly record struct WebhookRowCounts(int Events, int Deliveries);

/// <summary>Removes the webhook tables' rows of jobs past retention (see ImageBus.Jobs' JobRetention for which jobs).</summary>
public sealed class WebhookRetention(NpgsqlDataSource database)
{
    public Task<WebhookRowCounts> CountForJobsAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken) =>
        RunAsync(
            """
            SELECT (SELECT count(*) FROM job_events WHERE job_id = ANY(@ids)),
                   (SELECT count(*) FROM webhook_deliveries WHERE job_id = ANY(@ids))
            """, jobIds, cancellationToken);

    public Task<WebhookRowCounts> DeleteForJobsAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken) =>
        RunAsync(
            """
            WITH events AS (DELETE FROM job_events WHERE job_id = ANY(@ids) RETURNING 1),
                 deliveries AS (DELETE FROM webhook_deliveries WHERE job_id = ANY(@ids) RETURNING 1)
            SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM deliveries)
            """, jobIds, cancellationToken);

    async Task<WebhookRowCounts> RunAsync(string sql, IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(sql);
        command.Parameters.AddWithValue("ids", jobIds.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new WebhookRowCounts((int)reader.GetInt64(0), (int)reader.GetInt64(1));
    }
}
