namespace ImageBus.Gemini;

/// <summary>What every generateContent call waits on before it is sent, so that a request budget (say one
/// shared by several worker processes) is spent by waiting rather than by Gemini answering 429.</summary>
public interface IGeminiRateLimiter
{
    /// <summary>Returns once a call may be made; waits while the budget is used up.</summary>
    ValueTask WaitForPermitAsync(CancellationToken ct);
}

/// <summary>No budget of our own: Gemini's 429s and the retry policy are the only brake.</summary>
internal sealed class UnlimitedGeminiRate : IGeminiRateLimiter
{
    public ValueTask WaitForPermitAsync(CancellationToken ct) => ValueTask.CompletedTask;
}
