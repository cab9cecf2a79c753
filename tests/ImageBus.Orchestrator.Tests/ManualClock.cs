namespace ImageBus.Orchestrator.Tests;

/// <summary>A clock that stands still until a spec moves it on, so event timestamps can be asserted
/// and the orchestrator's "is this image overdue" comparisons see exactly the time a spec lets pass.
/// Scheduled messages still fire in real time; a spec advances this clock before they are due.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
