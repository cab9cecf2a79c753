using ImageBus.Gemini;
using ImageBus.Worker.Generation;
using Microsoft.Extensions.Options;

namespace ImageBus.Worker.Throttling;

/// <summary>Gemini's per-minute quotas, per model as Google counts them, shared by every worker on the database: every
/// generateContent call takes one of <see cref="WorkerOptions.RequestsPerMinute"/>, an image call also one of
/// <see cref="WorkerOptions.ImagesPerMinute"/>. A per-minute 429 pauses the model's budgets for every worker until the
/// delay Google asked for, rather than each worker finding the quota used up for itself. Waiting calls take fair turns
/// between tenants (<see cref="CurrentShare"/>).</summary>
public sealed class GeminiBudget(SharedRateLimiter limiter, IOptions<WorkerOptions> options) : IGeminiRateLimiter
{
    readonly WorkerOptions settings = options.Value;

    /// <summary>Whose turn a call takes: the tenant of the image this flow makes (set by the consumer, as
    /// <see cref="GenerationSlots.Current"/> is; the Gemini client knows nothing of tenants). Empty: no tenant's.</summary>
    public static string CurrentShare
    {
        get => share.Value ?? "";
        set => share.Value = value;
    }

    static readonly AsyncLocal<string?> share = new();

    public async ValueTask WaitForPermitAsync(GeminiCallKind kind, string model, CancellationToken ct) =>
        await limiter.AcquireAsync(LimitsFor(kind, model), CurrentShare, GenerationSlots.Current, ct);

    public async ValueTask PauseAsync(string model, TimeSpan delay, CancellationToken ct) =>
        await limiter.PauseAsync(LimitsFor(GeminiCallKind.Image, model).Select(l => l.Name).ToList(), delay, ct);

    /// <summary>The name of a model's requests-per-minute budget, shared by every worker on the database.</summary>
    public static string RequestsLimiter(string model) => $"gemini:{model}:requests";

    IReadOnlyList<SharedRateLimit> LimitsFor(GeminiCallKind kind, string model)
    {
        var requests = SharedRateLimit.PerMinute(RequestsLimiter(model), settings.RequestsPerMinute);
        return kind == GeminiCallKind.Image && settings.ImagesPerMinute is { } images
            ? [requests, SharedRateLimit.PerMinute($"gemini:{model}:images", images)]
            : [requests];
    }
}
