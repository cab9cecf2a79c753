using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace ImageBus.Messaging.Sagas;

/// <summary>Row locking for saga tables, named from the EF model so that no SQL repeats a mapping.</summary>
static class SagaRows
{
    /// <summary>Loads the saga tracked (with its auto-included children), in pessimistic mode after
    /// locking its row until the transaction ends. Returns null when there is no such saga yet.</summary>
    public static async Task<TSaga?> Load<TSaga>(DbContext db, Guid correlationId, SagaConcurrency concurrency, CancellationToken cancellationToken)
        where TSaga : class, ISaga =>
        concurrency == SagaConcurrency.Pessimistic
            ? await LockAndLoad<TSaga>(db, correlationId, cancellationToken)
            : await db.Set<TSaga>().SingleOrDefaultAsync(s => s.CorrelationId == correlationId, cancellationToken);

    /// <remarks>Two statements, not one load around a locking sub-select: under READ COMMITTED a statement that waited for
    /// the lock still reads the children (job_images) as of its start, and results applied meanwhile would be lost
    /// (<c>ConcurrentResultsTests</c> fails so).</remarks>
    static async Task<TSaga?> LockAndLoad<TSaga>(DbContext db, Guid correlationId, CancellationToken cancellationToken)
        where TSaga : class, ISaga
    {
        var started = Stopwatch.GetTimestamp();
        var locked = await db.Database
            .SqlQueryRaw<Guid>(LockStatement<TSaga>(db), correlationId)
            .ToListAsync(cancellationToken);
        SagaMetrics.RecordLockWait(started);
        if (locked.Count == 0)
        {
            return null;
        }

        return await db.Set<TSaga>().SingleAsync(s => s.CorrelationId == correlationId, cancellationToken);
    }

    /// <summary>Loads every saga a query matches, locking them in key order so two queries never deadlock.</summary>
    public static async Task<List<TSaga>> LoadMatching<TSaga>(DbContext db, ISagaQuery<TSaga> query, SagaConcurrency concurrency,
        CancellationToken cancellationToken)
        where TSaga : class, ISaga
    {
        var ids = await db.Set<TSaga>().AsNoTracking().Where(query.FilterExpression)
            .Select(s => s.CorrelationId).OrderBy(id => id).ToListAsync(cancellationToken);
        var sagas = new List<TSaga>(ids.Count);
        foreach (var id in ids)
        {
            var saga = await Load<TSaga>(db, id, concurrency, cancellationToken);
            if (saga is not null)
            {
                sagas.Add(saga);
            }
        }

        return sagas;
    }

    /// <summary>Table and column names come from the EF model, never from input.</summary>
    static string LockStatement<TSaga>(DbContext db)
    {
        var entity = db.Model.FindEntityType(typeof(TSaga))
            ?? throw new InvalidOperationException($"{typeof(TSaga).Name} is not mapped in {db.GetType().Name}");
        var key = entity.FindPrimaryKey()?.Properties.Single().GetColumnName()
            ?? throw new InvalidOperationException($"{typeof(TSaga).Name} has no single-column key");
        var table = entity.GetTableName()!;
        return "SELECT " + key + " AS \"Value\" FROM " + table + " WHERE " + key + " = {0} FOR UPDATE";
    }
}
