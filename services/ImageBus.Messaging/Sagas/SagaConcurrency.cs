using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ImageBus.Messaging.Sagas;

/// <summary>How the saga repository keeps two messages of one saga from overwriting each other.</summary>
public enum SagaConcurrency
{
    /// <summary><c>SELECT … FOR UPDATE</c> on the saga's row: the second message waits for the first.
    /// The default: measured better when many results of one job arrive together (README).</summary>
    Pessimistic,

    /// <summary>No lock; the row version (<c>xmin</c>) is checked on save and a conflict retries the message.</summary>
    Optimistic,
}

/// <summary>The concurrency mode chosen for one saga type.</summary>
public sealed record SagaRepositorySettings<TSaga>(SagaConcurrency Concurrency);

/// <summary>What operators (and the concurrency benchmark) read off the saga repository.</summary>
public static class SagaMetrics
{
    public const string MeterName = "ImageBus.Sagas";

    static readonly Meter Meter = new(MeterName);

    /// <summary>Milliseconds a message waited for its saga's row lock (pessimistic mode).</summary>
    public static readonly Histogram<double> LockWait = Meter.CreateHistogram<double>("imagebus.saga.lock_wait", "ms");

    /// <summary>Saves refused because another message changed the saga first (optimistic mode).</summary>
    public static readonly Counter<long> ConcurrencyConflicts = Meter.CreateCounter<long>("imagebus.saga.concurrency_conflicts");

    public static void RecordLockWait(long startTimestamp) =>
        LockWait.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds);
}
