using System.Data;
using MassTransit;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;

namespace ImageBus.Messaging.Sagas;

/// <summary>
/// MassTransit saga persistence on PostgreSQL through EF Core (MassTransit.EntityFrameworkCore is not
/// available here). Each message is handled in one transaction that first takes a row lock
/// (<c>SELECT … FOR UPDATE</c>) on the saga, so the many results of one job that arrive together are
/// applied one after another, on any number of orchestrator instances, with no update lost
/// (or, in <see cref="SagaConcurrency.Optimistic"/> mode, checks the row version on save instead).
/// </summary>
public sealed class PostgresSagaRepositoryContextFactory<TSaga, TDbContext>(
    IDbContextFactory<TDbContext> contexts,
    ISagaConsumeContextFactory<DbContext, TSaga> consumeContextFactory,
    SagaRepositorySettings<TSaga> settings) :
    ISagaRepositoryContextFactory<TSaga>,
    ILoadSagaRepositoryContextFactory<TSaga>
    where TSaga : class, ISaga
    where TDbContext : DbContext
{
    public async Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next)
        where T : class
    {
        await using var db = await contexts.CreateDbContextAsync(context.CancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, context.CancellationToken);

        var repositoryContext = new PostgresSagaRepositoryContext<TSaga, T>(db, context, consumeContextFactory, settings.Concurrency);
        await next.Send(repositoryContext);

        await transaction.CommitAsync(context.CancellationToken);
    }

    public async Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class
    {
        await using var db = await contexts.CreateDbContextAsync(context.CancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, context.CancellationToken);

        var repositoryContext = new PostgresSagaRepositoryContext<TSaga, T>(db, context, consumeContextFactory, settings.Concurrency);
        var matches = await SagaRows.LoadMatching(db, query, settings.Concurrency, context.CancellationToken);
        await next.Send(new LoadedSagaRepositoryQueryContext<TSaga, T>(repositoryContext, matches));

        await transaction.CommitAsync(context.CancellationToken);
    }

    public async Task<T> Execute<T>(Func<LoadSagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await asyncMethod(new PostgresSagaReadContext<TSaga>(db, cancellationToken));
    }

    public void Probe(ProbeContext context) => context.Add("persistence", "postgresql");
}
