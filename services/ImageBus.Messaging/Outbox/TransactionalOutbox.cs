using ImageBus.Messaging.Scheduling;
using MassTransit;
using MassTransit.Middleware;
using MassTransit.Middleware.Outbox;
using MassTransit.Transports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ImageBus.Messaging.Outbox;

/// <summary>
/// The messages sent and published during one database transaction, written into that transaction as rows of
/// <c>scheduled_messages</c> that are due at once, so they exist exactly when the changes that caused them commit.
/// MassTransit's own outbox endpoints (<see cref="OutboxSendEndpointProvider"/>, <see cref="OutboxPublishEndpointProvider"/>)
/// build each send context (pipes, headers, publish address) and hand it here instead of to the broker.
/// After the commit, <see cref="DispatchAsync"/> sends them at once from memory and has their rows deleted (<see cref="SentOutboxRows"/>,
/// one statement for the transactions of a moment together);
/// the rows are due only <see cref="ScheduledMessageDispatcherOptions.OutboxHandOver"/> later, so whatever it cannot send
/// (a crash, the broker down) any instance's <see cref="ScheduledMessageDispatcher"/> sends then, and nothing else does.
/// </summary>
public sealed class TransactionalOutbox : OutboxSendContext
{
    readonly NpgsqlTransaction transaction;
    readonly TransactionalOutboxes owner;
    readonly List<StoredScheduledMessage> pending = [];
    readonly List<StoredScheduledMessage> written = [];

    internal TransactionalOutbox(NpgsqlTransaction transaction, TransactionalOutboxes owner)
    {
        this.transaction = transaction;
        this.owner = owner;
        Publisher = new PublishEndpoint(new OutboxPublishEndpointProvider(this, (IPublishEndpointProvider)owner.Bus));
    }

    /// <summary>Publishes into this outbox (for code outside a consumer, e.g. the gateway).</summary>
    public IPublishEndpoint Publisher { get; }

    internal NpgsqlTransaction Transaction => transaction;

    internal TransactionalOutboxes Owner => owner;

    public Task AddSend<T>(SendContext<T> context)
        where T : class
    {
        var destination = context.DestinationAddress ?? throw new InvalidOperationException("an outbox message needs a destination");
        pending.Add(StoredScheduledMessage.Of(context, NewId.NextGuid(), destination, DateTimeOffset.UtcNow + owner.HandOver));
        return Task.CompletedTask;
    }

    /// <summary>Writes what was sent so far into the transaction, in one round trip. Call before the commit.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await owner.Store.SaveAsync(pending, transaction, cancellationToken);
        written.AddRange(pending);
        pending.Clear();
    }

    /// <summary>After the commit: sends this transaction's messages now. Never throws: a message not sent, or whose row
    /// could not be deleted, stays in the table for the dispatchers (sent again then: at-least-once, receivers are idempotent).</summary>
    public async Task DispatchAsync(CancellationToken cancellationToken)
    {
        if (written.Count == 0)
        {
            return;
        }

        try
        {
            var outcomes = await Task.WhenAll(written.Select(message => owner.Sender.TrySendAsync(message, cancellationToken)));
            var sent = written.Where((_, index) => outcomes[index]).Select(message => message.TokenId).ToList();
            await owner.SentRows.AddAsync(sent, cancellationToken);
        }
        catch (Exception exception)
        {
            owner.Logger.LogWarning(exception, "Sending {Count} outbox messages right after their commit failed; the dispatchers will send them",
                written.Count);
        }
    }

    public object? GetService(Type serviceType) => owner.Services.GetService(serviceType);
}

/// <summary>Opens a <see cref="TransactionalOutbox"/> on a transaction; one per process.</summary>
public sealed class TransactionalOutboxes(
    ScheduledMessageStore store, StoredMessageSender sender, SentOutboxRows sentRows, IBus bus, IServiceProvider services,
    IOptions<ScheduledMessageDispatcherOptions> options, ILogger<TransactionalOutbox> logger)
{
    internal TimeSpan HandOver => options.Value.OutboxHandOver;

    internal ScheduledMessageStore Store => store;
    internal StoredMessageSender Sender => sender;
    internal SentOutboxRows SentRows => sentRows;
    internal IBus Bus => bus;
    internal IServiceProvider Services => services;
    internal ILogger Logger => logger;

    public TransactionalOutbox Begin(NpgsqlTransaction transaction) => new(transaction, this);
}
