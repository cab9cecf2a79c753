namespace ImageBus.FakeGemini;

/// <summary>One of Gemini's quotas as a fixed window counter: at most <paramref name="limit"/> calls per
/// <paramref name="window"/>, windows starting at the Unix epoch plus <paramref name="start"/> (0 = no quota).</summary>
internal sealed class FakeQuota(int limit, TimeSpan window, TimeSpan start, TimeProvider clock)
{
    private readonly long _windowMs = (long)window.TotalMilliseconds;
    private readonly long _startMs = (long)start.TotalMilliseconds;
    private readonly Lock _gate = new();
    private long _window = -1;
    private int _calls;

    /// <summary>The per-minute quota of <see cref="FakeGeminiOptions.RequestsPerMinute"/>, scaled to its window.</summary>
    public static FakeQuota PerMinute(FakeGeminiOptions options, TimeProvider clock) => new(
        options.RequestsPerMinute == 0 ? 0 : (int)Math.Max(1, options.RequestsPerMinute * options.RateWindow.TotalMinutes),
        options.RateWindow, TimeSpan.Zero, clock);

    /// <summary>The per-day quota of <see cref="FakeGeminiOptions.RequestsPerDay"/>, reset at midnight Pacific (UTC−8).</summary>
    public static FakeQuota PerDay(FakeGeminiOptions options, TimeProvider clock) =>
        new(options.RequestsPerDay, TimeSpan.FromDays(1), PacificMidnight, clock);

    /// <summary>Midnight Pacific standard time as an offset from midnight UTC.</summary>
    public static readonly TimeSpan PacificMidnight = TimeSpan.FromHours(8);

    /// <summary>Counts one call; false when the current window's quota is already used, with the time left until it resets.</summary>
    public bool TryTake(out TimeSpan untilReset)
    {
        untilReset = TimeSpan.Zero;
        if (limit == 0)
        {
            return true;
        }

        var now = clock.GetUtcNow().ToUnixTimeMilliseconds() - _startMs;
        var window = now / _windowMs;
        untilReset = TimeSpan.FromMilliseconds(((window + 1) * _windowMs) - now);
        lock (_gate)
        {
            if (window != _window)
            {
                (_window, _calls) = (window, 0);
            }

            return ++_calls <= limit;
        }
    }
}
