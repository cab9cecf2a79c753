using System.Text.Json;
using ImageBus.Contracts;
using ImageBus.Gemini;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace ImageBus.Batches;

/// <summary>A batch as recorded here.</summary>
/// <param name="GeminiName">Gemini's name for it (<c>batches/…</c>) once created.</param>
/// <param name="Ended">Whether how it ended is recorded (its images may still be being reported).</param>
public sealed record StoredBatch(Guid BatchId, string Model, string State, string? GeminiName, bool Ended = false);

/// <summary>One image request of a batch: the key Gemini answers it under and the command it answers.</summary>
public sealed record BatchedImage(Guid RequestId, GenerateImage Command);

/// <summary>An image request still to send to Gemini, with its request.</summary>
public sealed record PendingBatchImage(Guid RequestId, GenerateImage Command, GeminiImageRequest Request);

/// <summary>What putting an image into a batch did.</summary>
/// <param name="Opened">The batch it went into was opened for it: its seal is to be scheduled a wait from now.</param>
/// <param name="SealNow">Batches that take no more requests (full, or this one at its size): their seal is due now.</param>
public sealed record BatchEnqueueResult(Guid BatchId, bool Opened, IReadOnlyList<Guid> SealNow);

/// <summary>A batch a job has images in, for the job's status.</summary>
public sealed record JobBatch(Guid BatchId, string? GeminiName, string State, int Images, DateTimeOffset OpenedAt,
    DateTimeOffset? SubmittedAt, DateTimeOffset? EndedAt);

/// <summary>Which batch an image attempt of a job went into.</summary>
public sealed record JobBatchedImage(string ItemId, int Attempt, Guid BatchId, string State);

/// <summary>A job's batches and the images in them.</summary>
public sealed record JobBatches(IReadOnlyList<JobBatch> Batches, IReadOnlyList<JobBatchedImage> Images)
{
    public static readonly JobBatches None = new([], []);
}

/// <summary>
/// The tables <c>gemini_batches</c> and <c>gemini_batch_requests</c>, in plain SQL: packing takes a row lock on the open
/// batch, and the create and the poll of one batch run under an advisory lock, which EF has no words for.
/// Methods that take a transaction write inside the caller's, so that what they record commits with the caller's
/// scheduled messages.
/// </summary>
public sealed class GeminiBatchStore(NpgsqlDataSource database, IOptions<BatchingOptions> options)
{
    static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;

    /// <summary>Puts an image attempt into the open batch of <paramref name="model"/> (opening one if there is none, closing
    /// the open one if the request would not fit); null when it is in a batch already (a redelivered command).</summary>
    public async Task<BatchEnqueueResult?> EnqueueAsync(
        NpgsqlTransaction transaction, GenerateImage command, string model, GeminiImageRequest request, CancellationToken ct)
    {
        var connection = transaction.Connection!;
        await using (var known = new NpgsqlCommand(
            "SELECT 1 FROM gemini_batch_requests WHERE job_id = @job AND item_id = @item AND attempt = @attempt", connection, transaction))
        {
            known.Parameters.AddWithValue("job", command.JobId);
            known.Parameters.AddWithValue("item", command.Item.ItemId);
            known.Parameters.AddWithValue("attempt", command.Attempt);
            if (await known.ExecuteScalarAsync(ct) is not null)
            {
                return null;
            }
        }

        var requestJson = JsonSerializer.Serialize(request, Json);
        var bytes = (long)requestJson.Length;
        var limits = options.Value;
        var sealNow = new List<Guid>();
        // Two rounds at most: the open batch may be full, and then the next one is opened for this request.
        for (var round = 0; ; round++)
        {
            var (batchId, count, batchBytes, opened) = await OpenBatchAsync(connection, transaction, model, ct);
            if (count > 0 && (count + 1 > limits.MaxRequests || batchBytes + bytes > limits.MaxBytes) && round == 0)
            {
                await SetStateAsync(connection, transaction, batchId, BatchStates.Full, ct);
                sealNow.Add(batchId);
                continue;
            }

            await using var insert = new NpgsqlCommand(
                """
                WITH added AS (
                    INSERT INTO gemini_batch_requests (request_id, batch_id, job_id, item_id, attempt, state, command, request)
                    VALUES (@request, @batch, @job, @item, @attempt, 'queued', @command, @body))
                UPDATE gemini_batches SET request_count = request_count + 1, request_bytes = request_bytes + @bytes, updated_at = now()
                 WHERE batch_id = @batch
                RETURNING request_count
                """, connection, transaction);
            insert.Parameters.AddWithValue("request", Guid.CreateVersion7());
            insert.Parameters.AddWithValue("batch", batchId);
            insert.Parameters.AddWithValue("job", command.JobId);
            insert.Parameters.AddWithValue("item", command.Item.ItemId);
            insert.Parameters.AddWithValue("attempt", command.Attempt);
            insert.Parameters.AddWithValue("command", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(command, Json));
            insert.Parameters.AddWithValue("body", NpgsqlDbType.Jsonb, requestJson);
            insert.Parameters.AddWithValue("bytes", bytes);
            var requests = (int)(await insert.ExecuteScalarAsync(ct))!;
            if (requests >= limits.MaxRequests)
            {
                await SetStateAsync(connection, transaction, batchId, BatchStates.Full, ct);
                sealNow.Add(batchId);
            }

            return new BatchEnqueueResult(batchId, opened, sealNow);
        }
    }

    /// <summary>The model's open batch, locked; a new one when there is none. Concurrent packers meet on the unique index of
    /// open batches: the second one's insert waits for the first and then does nothing, and it reads the first one's batch.</summary>
    static async Task<(Guid BatchId, int Count, long RequestBytes, bool Opened)> OpenBatchAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string model, CancellationToken ct)
    {
        var fresh = Guid.CreateVersion7();
        while (true)
        {
            // Two statements in one round trip: the rows are the SELECT's, after the INSERT's empty result if the reader has one.
            await using var open = new NpgsqlCommand(
                """
                INSERT INTO gemini_batches (batch_id, model, state) VALUES (@fresh, @model, 'open')
                    ON CONFLICT (model) WHERE state = 'open' DO NOTHING;
                SELECT batch_id, request_count, request_bytes FROM gemini_batches WHERE model = @model AND state = 'open' FOR UPDATE;
                """, connection, transaction);
            open.Parameters.AddWithValue("fresh", fresh);
            open.Parameters.AddWithValue("model", model);
            await using var reader = await open.ExecuteReaderAsync(ct);
            while (reader.FieldCount == 0 && await reader.NextResultAsync(ct))
            {
            }

            if (await reader.ReadAsync(ct))
            {
                var batchId = reader.GetGuid(0);
                return (batchId, reader.GetInt32(1), reader.GetInt64(2), batchId == fresh);
            }

            // The open batch was closed between the insert and the lock: open the next one.
        }
    }

    static async Task SetStateAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid batchId, string state, CancellationToken ct)
    {
        await using var update = new NpgsqlCommand(
            "UPDATE gemini_batches SET state = @state, updated_at = now() WHERE batch_id = @batch", connection, transaction);
        update.Parameters.AddWithValue("batch", batchId);
        update.Parameters.AddWithValue("state", state);
        await update.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Holds the batch's advisory lock on a connection of its own until disposed (or until the process dies, which
    /// ends the session): one creator or poller per batch at a time, across every worker.</summary>
    public async Task<IAsyncDisposable> LockAsync(Guid batchId, CancellationToken ct)
    {
        var connection = await database.OpenConnectionAsync(ct);
        try
        {
            await using var lockBatch = new NpgsqlCommand("SELECT pg_advisory_lock(hashtextextended(@batch::text, 0))", connection);
            lockBatch.Parameters.AddWithValue("batch", batchId);
            await lockBatch.ExecuteNonQueryAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async Task<StoredBatch?> FindAsync(Guid batchId, CancellationToken ct)
    {
        await using var find = database.CreateCommand("SELECT model, state, gemini_name, ended_at IS NOT NULL FROM gemini_batches WHERE batch_id = @batch");
        find.Parameters.AddWithValue("batch", batchId);
        await using var reader = await find.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new StoredBatch(batchId, reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetBoolean(3))
            : null;
    }

    /// <summary>Records that the batch is being created (the intent, before Gemini is asked); true when it was open or full
    /// until now, false when an earlier try had recorded it already (and may have created it).</summary>
    public async Task<bool> BeginCreatingAsync(Guid batchId, CancellationToken ct)
    {
        await using var begin = database.CreateCommand(
            "UPDATE gemini_batches SET state = 'creating', updated_at = now() WHERE batch_id = @batch AND state IN ('open', 'full')");
        begin.Parameters.AddWithValue("batch", batchId);
        return await begin.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>The batch's requests still wanted (not of a cancelled job), with what to send Gemini.</summary>
    public async Task<IReadOnlyList<PendingBatchImage>> PendingAsync(Guid batchId, CancellationToken ct)
    {
        await using var pending = database.CreateCommand(
            "SELECT request_id, command, request FROM gemini_batch_requests WHERE batch_id = @batch AND state = 'queued' ORDER BY request_id");
        pending.Parameters.AddWithValue("batch", batchId);
        var found = new List<PendingBatchImage>();
        await using var reader = await pending.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            found.Add(new PendingBatchImage(reader.GetGuid(0), Read<GenerateImage>(reader.GetString(1)), Read<GeminiImageRequest>(reader.GetString(2))));
        }

        return found;
    }

    /// <summary>The batch's requests still waiting for a result.</summary>
    public async Task<IReadOnlyList<BatchedImage>> QueuedAsync(Guid batchId, CancellationToken ct)
    {
        await using var queued = database.CreateCommand(
            "SELECT request_id, command FROM gemini_batch_requests WHERE batch_id = @batch AND state = 'queued' ORDER BY request_id");
        queued.Parameters.AddWithValue("batch", batchId);
        var found = new List<BatchedImage>();
        await using var reader = await queued.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            found.Add(new BatchedImage(reader.GetGuid(0), Read<GenerateImage>(reader.GetString(1))));
        }

        return found;
    }

    /// <summary>Records Gemini's name and state for a batch it now has, inside the caller's transaction (with its first poll);
    /// the requests' bodies are not needed any more.</summary>
    public static async Task RecordCreatedAsync(NpgsqlTransaction transaction, Guid batchId, string geminiName, string state, CancellationToken ct)
    {
        await using var record = new NpgsqlCommand(
            """
            UPDATE gemini_batches SET state = @state, gemini_name = @name, submitted_at = now(), updated_at = now() WHERE batch_id = @batch;
            UPDATE gemini_batch_requests SET request = NULL WHERE batch_id = @batch;
            """, transaction.Connection, transaction);
        record.Parameters.AddWithValue("batch", batchId);
        record.Parameters.AddWithValue("name", geminiName);
        record.Parameters.AddWithValue("state", state);
        await record.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Records the batch's state while Gemini still works on it, inside the caller's transaction (with its next poll).</summary>
    public static async Task RecordStateAsync(NpgsqlTransaction transaction, Guid batchId, string state, CancellationToken ct) =>
        await SetStateAsync(transaction.Connection!, transaction, batchId, state, ct);

    /// <summary>Records how the batch ended, before its images are reported: a poll that crashes while reporting finds the
    /// batch ended with images still queued, and reports them.</summary>
    public async Task RecordEndedAsync(Guid batchId, string state, string? error, CancellationToken ct)
    {
        await using var end = database.CreateCommand(
            "UPDATE gemini_batches SET state = @state, error = @error, ended_at = now(), updated_at = now() WHERE batch_id = @batch");
        end.Parameters.AddWithValue("batch", batchId);
        end.Parameters.AddWithValue("state", state);
        end.Parameters.AddWithValue("error", (object?)error ?? DBNull.Value);
        await end.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Records a request's outcome, unless it was cancelled meanwhile.</summary>
    public async Task RecordRequestAsync(Guid requestId, string state, CancellationToken ct)
    {
        await using var record = database.CreateCommand(
            "UPDATE gemini_batch_requests SET state = @state, updated_at = now() WHERE request_id = @request AND state = 'queued'");
        record.Parameters.AddWithValue("request", requestId);
        record.Parameters.AddWithValue("state", state);
        await record.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Marks a cancelled job's waiting requests cancelled; returns the batches at Gemini that are left with nothing
    /// wanted (to cancel there: a batch shared with other jobs keeps running).</summary>
    public async Task<IReadOnlyList<StoredBatch>> CancelJobAsync(Guid jobId, CancellationToken ct)
    {
        await using var cancel = database.CreateCommand(
            """
            WITH cancelled AS (
                UPDATE gemini_batch_requests SET state = 'cancelled', updated_at = now()
                 WHERE job_id = @job AND state = 'queued'
                RETURNING batch_id)
            SELECT b.batch_id, b.model, b.state, b.gemini_name
              FROM gemini_batches b
             WHERE b.batch_id IN (SELECT batch_id FROM cancelled)
               AND b.state IN ('pending', 'running')
               AND NOT EXISTS (SELECT 1 FROM gemini_batch_requests r
                                WHERE r.batch_id = b.batch_id AND r.state = 'queued' AND r.job_id <> @job)
            """);
        cancel.Parameters.AddWithValue("job", jobId);
        var emptied = new List<StoredBatch>();
        await using var reader = await cancel.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            emptied.Add(new StoredBatch(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        }

        return emptied;
    }

    /// <summary>The batches a job has images in, and which attempt of which image is in which.</summary>
    public async Task<JobBatches> ForJobAsync(Guid jobId, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(await database.OpenConnectionAsync(ct))
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(
                    """
                    SELECT b.batch_id, b.gemini_name, b.state, count(*)::int, b.opened_at, b.submitted_at, b.ended_at
                      FROM gemini_batch_requests r JOIN gemini_batches b ON b.batch_id = r.batch_id
                     WHERE r.job_id = @job
                     GROUP BY b.batch_id ORDER BY b.opened_at
                    """) { Parameters = { new("job", jobId) } },
                new NpgsqlBatchCommand(
                    "SELECT item_id, attempt, batch_id, state FROM gemini_batch_requests WHERE job_id = @job ORDER BY item_id, attempt")
                    { Parameters = { new("job", jobId) } },
            },
        };
        await using var connection = batch.Connection;
        await using var reader = await batch.ExecuteReaderAsync(ct);
        var batches = new List<JobBatch>();
        while (await reader.ReadAsync(ct))
        {
            batches.Add(new JobBatch(reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6)));
        }

        await reader.NextResultAsync(ct);
        var images = new List<JobBatchedImage>();
        while (await reader.ReadAsync(ct))
        {
            images.Add(new JobBatchedImage(reader.GetString(0), reader.GetInt32(1), reader.GetGuid(2), reader.GetString(3)));
        }

        return batches.Count == 0 ? JobBatches.None : new JobBatches(batches, images);
    }

    static T Read<T>(string json) => JsonSerializer.Deserialize<T>(json, Json)
        ?? throw new InvalidOperationException($"a stored {typeof(T).Name} is null");
}
