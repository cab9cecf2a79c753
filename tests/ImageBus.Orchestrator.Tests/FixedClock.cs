namespace ImageBus.Orchestrator.Tests;

/// <summary>A clock that always reads the same instant, so event timestamps can be asserted.</summary>
public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
