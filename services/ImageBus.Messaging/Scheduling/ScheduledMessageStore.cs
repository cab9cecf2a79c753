using MassTransit;
using MassTransit.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace ImageBus.Messaging.Scheduling;

/// <summary>A message waiting in <c>scheduled_messages</c>: the envelope exactly as MassTransit serialized it
/// when it was scheduled, and where and when it must go.</summary>
public sealed record StoredScheduledMessage(
    Guid TokenId,
    Uri Destination,
    DateTimeOffset DueAt,
    Guid? MessageId,
    Guid? CorrelationId,
    Guid? ConversationId,
    IReadOnlyList<string> MessageTypes,
    string ContentType,
    byte[] Body)
{
    /// <summary>The message of <paramref name="context"/> as MassTransit's own serializer writes it (message types, ids,
    /// headers), to be sent unchanged later. One place for the scheduler and the transactional outbox alike.</summary>
    public static StoredScheduledMessage Of<T>(SendContext<T> context, Guid tokenId, Uri destination, DateTimeOffset dueAt)
        where T : class
    {
        var serializer = SystemTextJsonMessageSerializer.Instance;
        return new StoredScheduledMessage(
            tokenId, destination, dueAt, context.MessageId, context.CorrelationId, context.ConversationId,
            MessageTypeCache<T>.MessageTypeNames, serializer.ContentType.ToString(), serializer.GetMessageBody(context).GetBytes());
    }
}

/// <summary>What one dispatch pass did: rows it claimed, and how many of them went out.</summary>
public readonly record struct DispatchPass(int Claimed, int Sent)
{
    public bool AnyFailed => Sent < Claimed;
}

/// <summary>What is waiting in the scheduler, for logs and health checks.</summary>
public readonly record struct ScheduledMessageBacklog(long Pending, long Overdue);

/// <summary>
/// The <c>scheduled_messages</c> table, in plain SQL: row locks with
/// <c>SKIP LOCKED</c> are what lets any number of dispatchers share the table, and EF adds nothing there.
/// Due times are compared with the database clock, so every dispatcher agrees on what is due.
/// </summary>
public sealed class ScheduledMessageStore(NpgsqlDataSource database)
{
    /// <summary>Stores a message; scheduling the same token again replaces it, as a rescheduled trigger would.</summary>
    public Task SaveAsync(StoredScheduledMessage message, CancellationToken cancellationToken) =>
        SaveAsync([message], transaction: null, cancellationToken);

    /// <summary>Stores messages in one round trip, inside <paramref name="transaction"/> when given (the transactional
    /// outbox's rows become visible to dispatchers only when the caller's own changes commit), else on a connection of its own.</summary>
    public async Task SaveAsync(IReadOnlyList<StoredScheduledMessage> messages, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return;
        }

        await using var owned = transaction is null ? await database.OpenConnectionAsync(cancellationToken) : null;
        await using var batch = new NpgsqlBatch(owned ?? transaction!.Connection, transaction);
        // Dispatchers compare due times with the database's clock, so the delay is anchored to it too: a service
        // whose clock runs ahead or behind still gets its message after the delay it asked for. clock_timestamp(),
        // not now(): inside a saga's transaction now() is when that transaction began, which would fire early.
        var scheduledAt = DateTimeOffset.UtcNow;
        foreach (var message in messages)
        {
            var command = new NpgsqlBatchCommand(
                """
                INSERT INTO scheduled_messages
                    (token_id, destination, due_at, message_id, correlation_id, conversation_id, message_types, content_type, body)
                VALUES (@token_id, @destination, clock_timestamp() + (@due_at - @scheduled_at), @message_id, @correlation_id, @conversation_id, @message_types, @content_type, @body)
                ON CONFLICT (token_id) DO UPDATE SET
                    destination = EXCLUDED.destination, due_at = EXCLUDED.due_at, message_id = EXCLUDED.message_id,
                    correlation_id = EXCLUDED.correlation_id, conversation_id = EXCLUDED.conversation_id,
                    message_types = EXCLUDED.message_types, content_type = EXCLUDED.content_type, body = EXCLUDED.body,
                    created_at = now()
                """);
            command.Parameters.AddWithValue("token_id", message.TokenId);
            command.Parameters.AddWithValue("destination", message.Destination.ToString());
            command.Parameters.AddWithValue("due_at", message.DueAt);
            command.Parameters.AddWithValue("scheduled_at", scheduledAt);
            command.Parameters.Add(new NpgsqlParameter<Guid?>("message_id", NpgsqlDbType.Uuid) { TypedValue = message.MessageId });
            command.Parameters.Add(new NpgsqlParameter<Guid?>("correlation_id", NpgsqlDbType.Uuid) { TypedValue = message.CorrelationId });
            command.Parameters.Add(new NpgsqlParameter<Guid?>("conversation_id", NpgsqlDbType.Uuid) { TypedValue = message.ConversationId });
            command.Parameters.AddWithValue("message_types", message.MessageTypes.ToArray());
            command.Parameters.AddWithValue("content_type", message.ContentType);
            command.Parameters.AddWithValue("body", message.Body);
            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Removes a scheduled message; true when it was still waiting. A row a dispatcher is sending
    /// right now stays locked until that dispatcher commits, so this waits and then finds it gone.</summary>
    /// <remarks>Inside <paramref name="transaction"/> when given: a saga's unschedule commits with its state.</remarks>
    public async Task<bool> CancelAsync(Guid tokenId, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null)
    {
        await using var owned = transaction is null ? await database.OpenConnectionAsync(cancellationToken) : null;
        await using var command = new NpgsqlCommand("DELETE FROM scheduled_messages WHERE token_id = @token_id", owned ?? transaction!.Connection, transaction);
        command.Parameters.AddWithValue("token_id", tokenId);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>Removes rows that were sent, in one statement (<see cref="Outbox.SentOutboxRows"/> gathers them).</summary>
    public async Task DeleteAsync(IReadOnlyCollection<Guid> tokenIds, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var delete = new NpgsqlCommand("DELETE FROM scheduled_messages WHERE token_id = ANY(@tokens)", connection);
        delete.Parameters.AddWithValue("tokens", tokenIds.ToArray());
        await delete.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Claims up to <paramref name="batchSize"/> due rows that no other dispatcher holds
    /// (<c>FOR UPDATE SKIP LOCKED</c>), hands each to <paramref name="trySend"/>, deletes the ones it sent
    /// and commits. A row whose send failed is released for a later pass. The send happens before the commit:
    /// a crash between the two sends that row again later (at-least-once; receivers are idempotent), but
    /// while a dispatcher lives its lock keeps every other one away from the row.
    /// </summary>
    public async Task<DispatchPass> DispatchDueAsync(
        int batchSize, Func<StoredScheduledMessage, CancellationToken, Task<bool>> trySend, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        // Most passes find nothing due: one statement outside a transaction says so (no BEGIN … ROLLBACK per pass).
        if (!await AnyDueAsync(connection, cancellationToken))
        {
            return new DispatchPass(0, 0);
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var due = await ClaimDueAsync(connection, transaction, batchSize, cancellationToken);
        if (due.Count == 0)
        {
            return new DispatchPass(0, 0);
        }

        var outcomes = await Task.WhenAll(due.Select(message => trySend(message, cancellationToken)));
        var sent = due.Where((_, index) => outcomes[index]).Select(message => message.TokenId).ToArray();
        await using (var delete = new NpgsqlCommand("DELETE FROM scheduled_messages WHERE token_id = ANY(@tokens)", connection, transaction))
        {
            delete.Parameters.AddWithValue("tokens", sent);
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new DispatchPass(due.Count, sent.Length);
    }

    public async Task<ScheduledMessageBacklog> CountBacklogAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT count(*), count(*) FILTER (WHERE due_at <= now()) FROM scheduled_messages", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ScheduledMessageBacklog(reader.GetInt64(0), reader.GetInt64(1));
    }

    static async Task<bool> AnyDueAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT FROM scheduled_messages WHERE due_at <= now())", connection);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    static async Task<List<StoredScheduledMessage>> ClaimDueAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int batchSize, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT token_id, destination, due_at, message_id, correlation_id, conversation_id, message_types, content_type, body
            FROM scheduled_messages
            WHERE due_at <= now()
            ORDER BY due_at, created_at
            LIMIT @batch_size
            FOR UPDATE SKIP LOCKED
            """, connection, transaction);
        command.Parameters.AddWithValue("batch_size", batchSize);
        var due = new List<StoredScheduledMessage>(batchSize);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            due.Add(new StoredScheduledMessage(
                reader.GetGuid(0),
                new Uri(reader.GetString(1)),
                reader.GetFieldValue<DateTimeOffset>(2),
                reader.IsDBNull(3) ? null : reader.GetGuid(3),
                reader.IsDBNull(4) ? null : reader.GetGuid(4),
                reader.IsDBNull(5) ? null : reader.GetGuid(5),
                reader.GetFieldValue<string[]>(6),
                reader.GetString(7),
                reader.GetFieldValue<byte[]>(8)));
        }

        return due;
    }

}
