using System.Data;
using ImageBus.Messaging.Outbox;
using MassTransit;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace ImageBus.Messaging.Sagas;

/// <summary>
/// MassTransit saga persistence on PostgreSQL through EF Core (MassTransit.EntityFrameworkCore is not
/// available here). Each message is handled in one transaction that first takes a row lock
/// (<c>SELECT … FOR UPDATE</c>) on the saga, so the many results of one job that arrive together are
/// applied one after another, on any number of orchestrator instances, with no update lost
/// (or, in <see cref="SagaConcurrency.Optimistic"/> mode, checks the row version on save instead).
/// With the transactional outbox registered (<see cref="OutboxExtensions.AddTransactionalOutbox"/>), what the saga sends,
/// publishes and schedules while it consumes is written in that same transaction and sent after the commit, so a crash
/// between the commit and the sends delays them, never loses them.
/// </summary>
public sealed class PostgresSagaRepositoryContextFactory<TSaga, TDbContext>(
    IDbContextFactory<TDbContext> contexts,
    ISagaConsumeContextFactory<DbContext, TSaga> consumeContextFactory,
    SagaRepositorySettings<TSaga> settings,
    TransactionalOutboxes? outboxes = null,
    FaultInjection? faults = null) :
    ISagaRepositoryContextFactory<TSaga>,
    ILoadSagaRepositoryContextFactory<TSaga>
    where TSaga : class, ISaga
    where TDbContext : DbContext
{
    public Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next)
        where T : class =>
        InTransaction(context, (db, consumeContext) =>
            next.Send(new PostgresSagaRepositoryContext<TSaga, T>(db, consumeContext, consumeContextFactory, settings.Concurrency)));

    public Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class =>
        InTransaction(context, async (db, consumeContext) =>
        {
            var repositoryContext = new PostgresSagaRepositoryContext<TSaga, T>(db, consumeContext, consumeContextFactory, settings.Concurrency);
            var matches = await SagaRows.LoadMatching(db, query, settings.Concurrency, context.CancellationToken);
            await next.Send(new LoadedSagaRepositoryQueryContext<TSaga, T>(repositoryContext, matches));
        });

    /// <summary>One transaction around the saga's work on <paramref name="context"/>; its outbox messages are written
    /// before the commit and sent after it.</summary>
    async Task InTransaction<T>(ConsumeContext<T> context, Func<DbContext, ConsumeContext<T>, Task> work)
        where T : class
    {
        await using var db = await contexts.CreateDbContextAsync(context.CancellationToken);
        // No savepoint around SaveChanges (two round trips each): a failed save fails the whole transaction, which the
        // saga's persistence retry runs again from the start.
        db.Database.AutoSavepointsEnabled = false;
        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, context.CancellationToken);
        var outbox = outboxes?.Begin((NpgsqlTransaction)transaction.GetDbTransaction());
        await work(db, outbox is null ? context : new OutboxConsumeContext<T>(context, outbox));
        if (outbox is not null)
        {
            await outbox.FlushAsync(context.CancellationToken);
        }

        await transaction.CommitAsync(context.CancellationToken);
        if (outbox is not null)
        {
            faults?.AfterCommit(typeof(T).Name);
            await outbox.DispatchAsync(CancellationToken.None);
        }
    }

    public async Task<T> Execute<T>(Func<LoadSagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await asyncMethod(new PostgresSagaReadContext<TSaga>(db, cancellationToken));
    }

    public void Probe(ProbeContext context) => context.Add("persistence", "postgresql");
}
