using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace ImageBus.Gemini;

/// <summary>Generates one image through <see cref="IGeminiClient"/> on <see cref="GeminiRetryPipeline"/>: transient
/// failures are retried up to <see cref="GeminiOptions.MaxAttempts"/> calls, a failure with its own
/// <see cref="GeminiException.MaxRetries"/> no more often than that, permanent ones (a per-day quota among them) never.</summary>
public sealed class GeminiImageGenerator(
    IGeminiClient client,
    IOptions<GeminiOptions> options,
    GeminiRetryPipeline retry,
    ILogger<GeminiImageGenerator> logger)
{
    /// <exception cref="GeminiException">The last failure, with <see cref="GeminiException.Calls"/> set to the calls made.</exception>
    public async Task<GeminiGeneration> GenerateAsync(GeminiImageRequest request, CancellationToken ct)
    {
        var model = request.Model ?? options.Value.Model;
        if (!options.Value.IsAllowed(model))
        {
            throw GeminiClient.NotAllowed(model).AfterCalls(0, 0);
        }

        var attempt = new Attempt(client, request, model);
        using var activity = GeminiTelemetry.Source.StartActivity("gemini generate image");
        activity?.SetTag("gen_ai.request.model", model);
        try
        {
            var image = await retry.Pipeline.ExecuteAsync(
                static async (attempt, token) =>
                {
                    attempt.Calls++;
                    try
                    {
                        var image = await attempt.Client.GenerateImageAsync(attempt.Request, token);
                        attempt.BilledCalls++;
                        GeminiTelemetry.Called(attempt.Model, "ok");
                        return image;
                    }
                    catch (GeminiException failure)
                    {
                        attempt.BilledCalls += failure.IsBilled ? 1 : 0;
                        GeminiTelemetry.Called(attempt.Model, failure.ErrorCode);
                        throw;
                    }
                },
                attempt,
                ct);
            activity?.SetTag("imagebus.gemini.calls", attempt.Calls);
            return new GeminiGeneration(image, attempt.Calls, attempt.BilledCalls);
        }
        catch (GeminiException failure)
        {
            activity?.SetStatus(ActivityStatusCode.Error, failure.ErrorCode);
            activity?.SetTag("imagebus.gemini.calls", attempt.Calls);
            logger.LogWarning("Gemini generation with {Model} failed with {ErrorCode} after {Calls} calls",
                model, failure.ErrorCode, attempt.Calls);
            throw failure.AfterCalls(attempt.Calls, attempt.BilledCalls);
        }
    }

    /// <summary>One generation's state inside the pipeline: what to send and how many calls it took.</summary>
    private sealed class Attempt(IGeminiClient client, GeminiImageRequest request, string model)
    {
        public IGeminiClient Client { get; } = client;
        public GeminiImageRequest Request { get; } = request;
        public string Model { get; } = model;
        public int Calls { get; set; }
        public int BilledCalls { get; set; }
    }
}

/// <summary>The Polly retry pipeline every generation runs on, built once from <see cref="GeminiOptions"/>: exponential
/// backoff with jitter from <see cref="GeminiOptions.BaseBackoff"/> up to <see cref="GeminiOptions.MaxBackoff"/>, or
/// the wait the server asked for (RetryInfo or Retry-After) up to <see cref="GeminiOptions.MaxRetryAfter"/>. Its waits
/// run on the registered <see cref="TimeProvider"/>, so tests can pass them on a fake clock.</summary>
public sealed class GeminiRetryPipeline
{
    public GeminiRetryPipeline(IOptions<GeminiOptions> options, TimeProvider time, ILogger<GeminiRetryPipeline> logger)
    {
        var o = options.Value;
        Pipeline = new ResiliencePipelineBuilder<GeminiImage> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<GeminiImage>
            {
                // Polly wants at least one retry; MaxAttempts = 1 is kept by ShouldRetry instead.
                MaxRetryAttempts = Math.Max(1, o.MaxAttempts - 1),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = o.BaseBackoff,
                MaxDelay = o.MaxBackoff,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is GeminiException failure && ShouldRetry(failure, args.AttemptNumber, o.MaxAttempts)),
                // Polly's own backoff when the server named no wait (a null here).
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Exception is GeminiException failure ? ServerDelay(failure, o) : null),
                OnRetry = args =>
                {
                    logger.LogInformation("Gemini call {Call} of {MaxAttempts} failed with {ErrorCode}; retrying in {DelayMs} ms",
                        args.AttemptNumber + 1, o.MaxAttempts, (args.Outcome.Exception as GeminiException)?.ErrorCode,
                        (long)args.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    public ResiliencePipeline<GeminiImage> Pipeline { get; }

    /// <summary>Whether a failure after <paramref name="retries"/> retries (Polly's zero-based attempt number) earns
    /// another call.</summary>
    internal static bool ShouldRetry(GeminiException failure, int retries, int maxAttempts) =>
        failure.IsTransient
        && retries + 1 < maxAttempts
        && (failure.MaxRetries is not { } maxRetries || retries < maxRetries);

    /// <summary>The wait the server asked for, rounded up to a whole millisecond (timers count in those, and a retry a
    /// fraction early would only meet the same quota), at most <see cref="GeminiOptions.MaxRetryAfter"/>; null when it
    /// asked none.</summary>
    internal static TimeSpan? ServerDelay(GeminiException failure, GeminiOptions options)
    {
        if (failure.RetryAfter is not { } asked)
        {
            return null;
        }

        var wait = TimeSpan.FromMilliseconds(Math.Ceiling(asked.TotalMilliseconds));
        return wait < options.MaxRetryAfter ? wait : options.MaxRetryAfter;
    }
}
