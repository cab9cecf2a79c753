using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace ImageBus.Gemini.Tests;

/// <summary>A <see cref="FakeTimeProvider"/> for the retry pipeline that notes every wait started on it, so
/// <see cref="RunAsync{T}"/> can move time on by exactly that wait once it has begun: retries run at once, and the
/// waits Polly chose can be read from <see cref="Waits"/>.</summary>
public sealed class RetryClock : FakeTimeProvider
{
    private readonly Channel<TimeSpan> _started = Channel.CreateUnbounded<TimeSpan>();
    private readonly ConcurrentQueue<TimeSpan> _waits = new();

    /// <summary>Every wait started, in order.</summary>
    public IReadOnlyList<TimeSpan> Waits => [.. _waits];

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            _waits.Enqueue(dueTime);
            _started.Writer.TryWrite(dueTime);
        }

        return timer;
    }

    /// <summary>Awaits <paramref name="work"/>, advancing the clock over each wait as soon as it starts.</summary>
    public async Task<T> RunAsync<T>(Task<T> work)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!work.IsCompleted)
        {
            if (guard.IsCancellationRequested)
            {
                throw new TimeoutException("the work neither finished nor started a wait within a minute");
            }

            await Task.WhenAny(work, _started.Reader.WaitToReadAsync(guard.Token).AsTask());
            while (_started.Reader.TryRead(out var wait))
            {
                Advance(wait);
            }
        }

        return await work;
    }
}
