using ImageBus.Webhooks;
using Npgsql;

namespace ImageBus.Gateway.Streaming;

/// <summary>Wakes the event streams of a job when the notifier records one of its events: one connection per gateway
/// LISTENs on <see cref="JobEventRecord.NotifyChannel"/> (announced by a trigger on job_events when the event's
/// transaction commits), so an open stream costs no query until something happened. While the connection is down,
/// and after it comes back, every stream is woken to read for itself; streams also read now and then without a
/// signal, so a lost announcement delays an event, never loses it.</summary>
public sealed class JobEventSignals(NpgsqlDataSource database, ILogger<JobEventSignals> logger) : BackgroundService
{
    static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(1);

    readonly Dictionary<Guid, Signal> signals = [];

    /// <summary>Whether announcements are being received; while not, streams read at their fallback interval.</summary>
    public bool IsListening { get; private set; }

    /// <summary>Watches one job's events until disposed. Take <see cref="Watch.NextAsync"/> before reading the events, so
    /// that one recorded while they are read still wakes the next wait.</summary>
    public Watch WatchJob(Guid jobId)
    {
        lock (signals)
        {
            if (!signals.TryGetValue(jobId, out var signal))
            {
                signals[jobId] = signal = new Signal();
            }

            signal.Watchers++;
            return new Watch(this, jobId, signal);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await database.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    if (Guid.TryParse(e.Payload, out var jobId))
                    {
                        Wake(jobId);
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {JobEventRecord.NotifyChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                IsListening = true;
                // Events recorded while nobody listened were announced to no one.
                WakeAll();
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or InvalidOperationException)
            {
                IsListening = false;
                WakeAll();
                logger.LogWarning(ex, "Listening for job events stopped; trying again in {DelayMs} ms", (long)ReconnectDelay.TotalMilliseconds);
                await Task.Delay(ReconnectDelay, stoppingToken);
            }
        }
    }

    void Wake(Guid jobId)
    {
        lock (signals)
        {
            if (signals.TryGetValue(jobId, out var signal))
            {
                signal.Fire();
            }
        }
    }

    void WakeAll()
    {
        lock (signals)
        {
            foreach (var signal in signals.Values)
            {
                signal.Fire();
            }
        }
    }

    void Release(Guid jobId, Signal signal)
    {
        lock (signals)
        {
            if (--signal.Watchers == 0)
            {
                signals.Remove(jobId);
            }
        }
    }

    /// <summary>One job's wake-up, shared by all its streams on this gateway: a task completed and replaced at each
    /// announcement.</summary>
    internal sealed class Signal
    {
        TaskCompletionSource next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Watchers { get; set; }

        public Task Next => next.Task;

        public void Fire()
        {
            var fired = next;
            next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            fired.TrySetResult();
        }
    }

    /// <summary>A stream's hold on its job's wake-up.</summary>
    public sealed class Watch : IDisposable
    {
        readonly JobEventSignals owner;
        readonly Guid jobId;
        readonly Signal signal;
        bool disposed;

        internal Watch(JobEventSignals owner, Guid jobId, Signal signal) => (this.owner, this.jobId, this.signal) = (owner, jobId, signal);

        /// <summary>Completes at the job's next announcement (or when announcements are lost and everyone must read).</summary>
        public Task NextAsync()
        {
            lock (owner.signals)
            {
                return signal.Next;
            }
        }

        public void Dispose()
        {
            if (!disposed)
            {
                disposed = true;
                owner.Release(jobId, signal);
            }
        }
    }
}
