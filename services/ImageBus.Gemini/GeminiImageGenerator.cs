using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImageBus.Gemini;

/// <summary>Waits between retries; injectable so tests need not sleep.</summary>
public delegate Task GeminiRetryDelay(TimeSpan delay, CancellationToken ct);

/// <summary>Generates one image through <see cref="IGeminiClient"/>, retrying what can succeed later: transient
/// failures up to <see cref="GeminiOptions.MaxAttempts"/> calls with exponential backoff and full jitter, a failure
/// with its own <see cref="GeminiException.MaxRetries"/> no more often than that, permanent ones never.</summary>
public sealed class GeminiImageGenerator(
    IGeminiClient client,
    IOptions<GeminiOptions> options,
    GeminiRetryDelay delay,
    ILogger<GeminiImageGenerator> logger)
{
    private readonly GeminiOptions _options = options.Value;

    /// <exception cref="GeminiException">The last failure, with <see cref="GeminiException.Calls"/> set.</exception>
    public async Task<GeminiGeneration> GenerateAsync(GeminiImageRequest request, CancellationToken ct)
    {
        for (var call = 1; ; call++)
        {
            GeminiException failure;
            try
            {
                return new GeminiGeneration(await client.GenerateImageAsync(request, ct), call);
            }
            catch (GeminiException ex)
            {
                failure = ex;
            }

            var mayRetry = failure.IsTransient
                && call < _options.MaxAttempts
                && (failure.MaxRetries is not { } maxRetries || call <= maxRetries);
            if (!mayRetry)
            {
                logger.LogWarning("Gemini generation failed with {ErrorCode} after {Calls} calls", failure.ErrorCode, call);
                throw failure.AfterCalls(call);
            }

            var wait = RetryDelay(call, failure.RetryAfter, _options, Random.Shared.NextDouble());
            logger.LogInformation("Gemini call {Call} of {MaxAttempts} failed with {ErrorCode}; retrying in {DelayMs} ms",
                call, _options.MaxAttempts, failure.ErrorCode, (long)wait.TotalMilliseconds);
            await delay(wait, ct);
        }
    }

    /// <summary>Full jitter over <c>BaseBackoff · 2^(retry-1)</c>, raised to what the server asked for, and
    /// never above <c>MaxBackoff</c>.</summary>
    /// <param name="retry">1 for the first retry.</param>
    /// <param name="random">Uniform in [0, 1).</param>
    internal static TimeSpan RetryDelay(int retry, TimeSpan? retryAfter, GeminiOptions options, double random)
    {
        var ceiling = options.BaseBackoff * Math.Pow(2, Math.Min(retry - 1, 30));
        var backoff = (ceiling < options.MaxBackoff ? ceiling : options.MaxBackoff) * random;
        var wait = retryAfter > backoff ? retryAfter.Value : backoff;
        return wait < options.MaxBackoff ? wait : options.MaxBackoff;
    }
}
