using ImageBus.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace ImageBus.Operations.DeadLetters;

/// <summary>The dead letters in <c>failed_messages</c>: listed, grouped, counted, retried (sent back to their source
/// queue) and deleted, every retry and delete recorded in <c>failed_message_actions</c>.</summary>
public sealed class DeadLetterStore(
    IDbContextFactory<OperationsDbContext> contexts,
    IOptions<RabbitMqOptions> rabbit,
    TimeProvider clock,
    ILogger<DeadLetterStore> logger)
{
    public const int MaxIds = 1000;
    public const string RetryAction = "retry";
    public const string DeleteAction = "delete";

    public async Task<IReadOnlyList<DeadLetterGroup>> ListGroupsAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var groups = await db.Database.SqlQuery<GroupRow>($"""
            SELECT group_id, min(exception_type) AS exception_type, min(group_message) AS message, min(message_type) AS message_type,
                   count(*)::int AS count, array_agg(DISTINCT error_queue ORDER BY error_queue) AS queues,
                   min(faulted_at) AS first_at, max(faulted_at) AS last_at
            FROM failed_messages
            WHERE status = {FailedMessageStatuses.Failed}
            GROUP BY group_id
            ORDER BY max(faulted_at) DESC
            """).ToListAsync(cancellationToken);
        return [.. groups.Select(g => new DeadLetterGroup(g.GroupId, g.ExceptionType, g.Message, g.MessageType, g.Count, g.Queues, g.FirstAt, g.LastAt))];
    }

    /// <summary>Newest collected first, after <paramref name="after"/> (the last item of the previous page).</summary>
    public async Task<IReadOnlyList<DeadLetterItem>> ListAsync(string? groupId, int limit, (DateTimeOffset CollectedAt, Guid Id)? after,
        CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.FailedMessages.AsNoTracking();
        query = groupId is null ? query : query.Where(m => m.GroupId == groupId);
        if (after is { } position)
        {
            query = query.Where(m => EF.Functions.LessThan(ValueTuple.Create(m.CollectedAt, m.Id), ValueTuple.Create(position.CollectedAt, position.Id)));
        }

        var page = await query.OrderByDescending(m => m.CollectedAt).ThenByDescending(m => m.Id).Take(limit).ToListAsync(cancellationToken);
        return [.. page.Select(DeadLetterItem.From)];
    }

    public async Task<DeadLetterDetail?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var message = await db.FailedMessages.AsNoTracking().SingleOrDefaultAsync(m => m.Id == id, cancellationToken);
        return message is null ? null : DeadLetterDetail.From(message);
    }

    public async Task<DeadLetterCounts> CountAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var failed = db.FailedMessages.Where(m => m.Status == FailedMessageStatuses.Failed);
        return new DeadLetterCounts(await failed.CountAsync(cancellationToken), await failed.Select(m => m.GroupId).Distinct().CountAsync(cancellationToken));
    }

    public async Task<IReadOnlyList<DeadLetterAuditEntry>> ListAuditAsync(int limit, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.FailedMessageActions.AsNoTracking().OrderByDescending(a => a.Id).Take(limit)
            .Select(a => new DeadLetterAuditEntry(a.At, a.Actor, a.Action, a.Selector, a.Count)).ToListAsync(cancellationToken);
    }

    /// <summary>The ids of <paramref name="ids"/> that name no dead letter.</summary>
    public async Task<IReadOnlyList<Guid>> UnknownAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var known = await db.FailedMessages.Where(m => ids.Contains(m.Id)).Select(m => m.Id).ToListAsync(cancellationToken);
        return [.. ids.Except(known)];
    }

    /// <summary>Sends each selected failed message back to its source queue (the exchange MassTransit binds to it) as it
    /// was before it failed, and marks it retried. Each send waits for the broker's publisher confirm before the row is
    /// marked, and the rows are locked meanwhile (so two retries never send one twice); a process that dies between a
    /// confirm and the commit leaves the row failed, and a later retry sends it again — which ImageBus's consumers take
    /// (the worker writes fixed blob names, the saga ignores a result it already has): at least once, never lost.</summary>
    public async Task<int> RetryAsync(DeadLetterSelection selection, string actor, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var ids = await SelectedIdsAsync(db, selection, cancellationToken);
        var messages = await db.FailedMessages
            .FromSql($"SELECT * FROM failed_messages WHERE id = ANY({ids}) AND status = {FailedMessageStatuses.Failed} FOR UPDATE SKIP LOCKED")
            .ToListAsync(cancellationToken);
        var retried = 0;
        Exception? failure = null;
        if (messages.Count > 0)
        {
            await using var connection = await rabbit.Value.ConnectAsync("imagebus-dead-letter-retry", cancellationToken);
            await using var channel = await connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
            var now = clock.GetUtcNow();
            foreach (var message in messages.OrderBy(m => m.FaultedAt))
            {
                try
                {
                    // Mandatory: a source queue that no longer exists returns the message, which fails the send.
                    await channel.BasicPublishAsync(message.SourceQueue, "", mandatory: true, BrokerMessage.ForRetry(message), message.Body, cancellationToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    failure = exception;
                    break;
                }

                message.Status = FailedMessageStatuses.Retried;
                message.ResolvedAt = now;
                retried++;
            }
        }

        await RecordAsync(db, RetryAction, selection, actor, retried, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("{Actor} retried {Count} dead letters ({Selector})", actor, retried, selection.Describe());
        return failure is null ? retried : throw new DeadLetterRetryException(retried, failure);
    }

    /// <summary>Marks the selected failed messages deleted (kept for the record, no longer listed as failed).</summary>
    public async Task<int> DeleteAsync(DeadLetterSelection selection, string actor, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var deleted = await selection.Apply(db.FailedMessages.Where(m => m.Status == FailedMessageStatuses.Failed))
            .ExecuteUpdateAsync(m => m.SetProperty(x => x.Status, FailedMessageStatuses.Deleted).SetProperty(x => x.ResolvedAt, now), cancellationToken);
        await RecordAsync(db, DeleteAction, selection, actor, deleted, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("{Actor} deleted {Count} dead letters ({Selector})", actor, deleted, selection.Describe());
        return deleted;
    }

    static async Task<Guid[]> SelectedIdsAsync(OperationsDbContext db, DeadLetterSelection selection, CancellationToken cancellationToken) =>
        [.. await selection.Apply(db.FailedMessages.Where(m => m.Status == FailedMessageStatuses.Failed)).Select(m => m.Id).ToListAsync(cancellationToken)];

    async Task RecordAsync(OperationsDbContext db, string action, DeadLetterSelection selection, string actor, int count,
        CancellationToken cancellationToken)
    {
        db.FailedMessageActions.Add(new FailedMessageAction
        {
            At = clock.GetUtcNow(), Actor = actor, Action = action, Selector = selection.Describe(), Count = count,
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>A group's row (snake_case columns).</summary>
    sealed class GroupRow
    {
        public string GroupId { get; set; } = "";
        public string ExceptionType { get; set; } = "";
        public string Message { get; set; } = "";
        public string? MessageType { get; set; }
        public int Count { get; set; }
        public string[] Queues { get; set; } = [];
        public DateTimeOffset FirstAt { get; set; }
        public DateTimeOffset LastAt { get; set; }
    }
}

/// <summary>A retry stopped by a send the broker refused; the messages sent before it were marked retried.</summary>
public sealed class DeadLetterRetryException(int retried, Exception inner)
    : Exception($"{retried} dead letters were sent back before the broker refused one: {inner.Message}", inner)
{
    public int Retried { get; } = retried;
}
