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

        var (image, calls, billedCalls) = await CountedGeminiCalls.RunAsync(
            retry.Pipeline, "gemini generate image", model, token => client.GenerateImageAsync(request, token), logger, ct);
        return new GeminiGeneration(image, calls, billedCalls);
    }
}

/// <summary>Analyses an image in text through <see cref="IGeminiClient.GenerateTextAsync"/> with
/// <see cref="GeminiOptions.AnalysisModel"/>, each call within <see cref="GeminiOptions.AnalysisCallTimeout"/>, on
/// <see cref="GeminiRetryPipeline.AnalysisPipeline"/> (up to <see cref="GeminiOptions.AnalysisMaxAttempts"/> calls).</summary>
public sealed class GeminiImageAnalyzer(
    IGeminiClient client,
    IOptions<GeminiOptions> options,
    GeminiRetryPipeline retry,
    ILogger<GeminiImageAnalyzer> logger)
{
    /// <exception cref="GeminiException">The last failure, with <see cref="GeminiException.Calls"/> set to the calls made.</exception>
    public async Task<GeminiAnalysis> AnalyseAsync(string prompt, byte[] image, string mimeType, CancellationToken ct)
    {
        var o = options.Value;
        var request = new GeminiTextRequest(prompt, image, mimeType, o.AnalysisModel, o.AnalysisCallTimeout);
        var (answer, calls, billedCalls) = await CountedGeminiCalls.RunAsync(
            retry.AnalysisPipeline, "gemini analyse image", o.AnalysisModel, token => client.GenerateTextAsync(request, token), logger, ct);
        return new GeminiAnalysis(answer, calls, billedCalls);
    }
}

/// <summary>Runs one Gemini request on a retry pipeline, counting its calls and those Google bills (an HTTP 200 answer),
/// as a span with the calls and as <see cref="GeminiTelemetry"/>'s call metric.</summary>
internal static class CountedGeminiCalls
{
    /// <exception cref="GeminiException">The last failure, with <see cref="GeminiException.Calls"/> and
    /// <see cref="GeminiException.BilledCalls"/> set.</exception>
    public static async Task<(T Result, int Calls, int BilledCalls)> RunAsync<T>(
        ResiliencePipeline pipeline, string activityName, string model, Func<CancellationToken, Task<T>> call, ILogger logger,
        CancellationToken ct)
    {
        var attempt = new Attempt<T>(call, model);
        using var activity = GeminiTelemetry.Source.StartActivity(activityName);
        activity?.SetTag("gen_ai.request.model", model);
        try
        {
            var result = await pipeline.ExecuteAsync(
                static async (attempt, token) =>
                {
                    attempt.Calls++;
                    try
                    {
                        var result = await attempt.Call(token);
                        attempt.BilledCalls++;
                        GeminiTelemetry.Called(attempt.Model, "ok");
                        return result;
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
            return (result, attempt.Calls, attempt.BilledCalls);
        }
        catch (GeminiException failure)
        {
            activity?.SetStatus(ActivityStatusCode.Error, failure.ErrorCode);
            activity?.SetTag("imagebus.gemini.calls", attempt.Calls);
            logger.LogWarning("Gemini request to {Model} failed with {ErrorCode} after {Calls} calls",
                model, failure.ErrorCode, attempt.Calls);
            throw failure.AfterCalls(attempt.Calls, attempt.BilledCalls);
        }
    }

    /// <summary>One request's state inside the pipeline: what to call and how many calls it took.</summary>
    private sealed class Attempt<T>(Func<CancellationToken, Task<T>> call, string model)
    {
        public Func<CancellationToken, Task<T>> Call { get; } = call;
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
        Pipeline = Build(o, o.MaxAttempts, time, logger);
        AnalysisPipeline = Build(o, o.AnalysisMaxAttempts, time, logger);
    }

    /// <summary>Image calls: up to <see cref="GeminiOptions.MaxAttempts"/>.</summary>
    public ResiliencePipeline Pipeline { get; }

    /// <summary>Analysis (text) calls: up to <see cref="GeminiOptions.AnalysisMaxAttempts"/>.</summary>
    public ResiliencePipeline AnalysisPipeline { get; }

    private static ResiliencePipeline Build(GeminiOptions o, int maxAttempts, TimeProvider time, ILogger logger) =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                // Polly wants at least one retry; maxAttempts = 1 is kept by ShouldRetry instead.
                MaxRetryAttempts = Math.Max(1, maxAttempts - 1),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = o.BaseBackoff,
                MaxDelay = o.MaxBackoff,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is GeminiException failure && ShouldRetry(failure, args.AttemptNumber, maxAttempts)),
                // Polly's own backoff when the server named no wait (a null here).
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Exception is GeminiException failure ? ServerDelay(failure, o) : null),
                OnRetry = args =>
                {
                    logger.LogInformation("Gemini call {Call} of {MaxAttempts} failed with {ErrorCode}; retrying in {DelayMs} ms",
                        args.AttemptNumber + 1, maxAttempts, (args.Outcome.Exception as GeminiException)?.ErrorCode,
                        (long)args.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

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
