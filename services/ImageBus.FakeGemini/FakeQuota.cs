namespace ImageBus.FakeGemini;

/// <summary>Gemini's requests-per-minute quota as a fixed window counter aligned on the Unix epoch (see
/// <see cref="FakeGeminiOptions.RequestsPerMinute"/>).</summary>
internal sealed class FakeQuota(FakeGeminiOptions options, TimeProvider clock)
{
    private readonly long _windowMs = (long)options.RateWindow.TotalMilliseconds;
    private readonly int _callsPerWindow = (int)Math.Max(1, options.RequestsPerMinute * options.RateWindow.TotalMinutes);
    private readonly Lock _gate = new();
    private long _window = -1;
    private int _calls;

    /// <summary>Counts one call; false when the current window's quota is already used.</summary>
    public bool TryTake()
    {
        if (options.RequestsPerMinute == 0)
        {
            return true;
        }

        var window = clock.GetUtcNow().ToUnixTimeMilliseconds() / _windowMs;
        lock (_gate)
        {
            if (window != _window)
            {
                (_window, _calls) = (window, 0);
            }

            return ++_calls <= _callsPerWindow;
        }
    }
}
