namespace ImageBus.Gemini;

/// <summary>What every generateContent call waits on before it is sent, so that a request budget (say one
/// shared by several worker processes) is spent by waiting rather than by Gemini answering 429.</summary>
public interface IGeminiRateLimiter
{
    /// <summary>Returns once a call of <paramref name="kind"/> to <paramref name="model"/> may be made; waits while its
    /// budget is used up.</summary>
    ValueTask WaitForPermitAsync(GeminiCallKind kind, string model, CancellationToken ct);

    /// <summary>Gemini answered 429 for a per-minute quota of <paramref name="model"/> and asked for
    /// <paramref name="delay"/>: no call to it is granted before then.</summary>
    ValueTask PauseAsync(string model, TimeSpan delay, CancellationToken ct);
}

/// <summary>What a call asks Gemini for: quotas count requests, and image models' images as well.</summary>
public enum GeminiCallKind
{
    Image,
    Text,
}

/// <summary>No budget of our own: Gemini's 429s and the retry policy are the only brake.</summary>
internal sealed class UnlimitedGeminiRate : IGeminiRateLimiter
{
    public ValueTask WaitForPermitAsync(GeminiCallKind kind, string model, CancellationToken ct) => ValueTask.CompletedTask;

    public ValueTask PauseAsync(string model, TimeSpan delay, CancellationToken ct) => ValueTask.CompletedTask;
}
