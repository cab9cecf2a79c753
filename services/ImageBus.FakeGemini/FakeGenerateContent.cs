using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ImageBus.Gemini;
using ImageBus.Gemini.Wire;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ImageBus.FakeGemini;

/// <summary>The fake's generateContent: validates like Gemini (each model's imageConfig rules from
/// <see cref="GeminiImageModels"/>), plays the prompt's <see cref="FakeGeminiMarkers"/> and the configured quotas,
/// otherwise paints a PNG sized by <c>imageConfig</c>.</summary>
internal sealed class FakeGenerateContent(IOptions<FakeGeminiOptions> options, TimeProvider clock)
{
    // What the fake bills per image when Google has published no figure for the model and size.
    private const int UnpublishedOutputTokens = 1290;

    // [fake:fail-first] and [fake:quota=KIND:N] count calls per exact prompt for the fake's lifetime (one instance per test host).
    private readonly ConcurrentDictionary<string, int> _callsByPrompt = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _quotaCallsByPrompt = new(StringComparer.Ordinal);

    private readonly FakeQuota _perMinute = FakeQuota.PerMinute(options.Value, clock);
    private readonly FakeQuota _perDay = FakeQuota.PerDay(options.Value, clock);

    public Task<Results<Ok<GenerateContentResponse>, JsonHttpResult<ErrorEnvelope>>> HandleAsync(
        string model, GenerateContentRequest request, HttpContext http) => AnswerAsync(model, request, http);

    /// <summary>One request of a batch, answered as a live call would be but without the live latency and quotas
    /// (the Batch API has its own), as the response or the request's own error.</summary>
    public async Task<InlinedResponse> AnswerInBatchAsync(string model, InlinedRequest request)
    {
        var answer = await AnswerAsync(model, request.Request, live: null);
        return answer.Result switch
        {
            Ok<GenerateContentResponse> ok => new InlinedResponse(ok.Value, Metadata: request.Metadata),
            JsonHttpResult<ErrorEnvelope> { Value.Error: var error } => new InlinedResponse(
                Error: new ErrorStatus(GeminiErrorCodes.ToRpcCode(error.Code), error.Message, Status: null, error.Details), Metadata: request.Metadata),
            var other => throw new InvalidOperationException($"Unexpected answer {other.GetType().Name}."),
        };
    }

    /// <param name="live">The live call's HTTP context; null for a request of a batch.</param>
    private async Task<Results<Ok<GenerateContentResponse>, JsonHttpResult<ErrorEnvelope>>> AnswerAsync(
        string model, GenerateContentRequest request, HttpContext? live)
    {
        var parts = request.Contents?.SelectMany(c => c.Parts ?? []).ToList() ?? [];
        var prompt = string.Concat(parts.Select(p => p.Text));
        var script = FakeGeminiMarkers.Parse(prompt);
        if (live is not null)
        {
            FakeRequestLog.Note(live, model, script.Summary, prompt, [.. parts
                .Select(p => p.InlineData)
                .OfType<InlineData>()
                .Select(d => new FakeInlineData(d.MimeType, d.Data.Length, Convert.ToHexString(SHA256.HashData(d.Data))))]);
        }

        if (script.Invalid is { } marker)
        {
            return GoogleErrors.Create(400, $"Unknown fake marker {marker}.");
        }

        if (parts.Count == 0)
        {
            return GoogleErrors.Create(400, "* GenerateContentRequest.contents: contents is not specified");
        }

        var imageConfig = request.GenerationConfig?.ImageConfig;
        var rules = GeminiImageModels.RulesOf(model);
        if (rules.Check(imageConfig?.AspectRatio, imageConfig?.ImageSize) is { } problem)
        {
            return GoogleErrors.UnsupportedImageConfig(problem);
        }

        var (width, height) = Size(imageConfig);
        var quota = live is null ? null : QuotaFailure(prompt, script);
        if (live is not null)
        {
            await WaitAsync(script, live.RequestAborted);
        }

        if (quota is { } exceeded)
        {
            return GoogleErrors.QuotaExceeded(exceeded.Window, model, exceeded.Limit, exceeded.RetryDelay);
        }

        var textOnly = WantsTextOnly(request);
        if ((script.ErrorStatus ?? (textOnly ? script.TextErrorStatus : null) ?? FailFirst(prompt, script) ?? RandomFailure()) is { } status)
        {
            return GoogleErrors.Scripted(status, live?.Response);
        }

        // IMAGE_SAFETY is about pictures: a text call with [fake:safety] is answered; a blocked prompt is blocked either way.
        if (textOnly && !script.Blocked)
        {
            var analysis = Analysis(prompt, parts);
            var textUsage = new GeminiUsage(Words(prompt), Words(analysis), Words(prompt) + Words(analysis));
            return TypedResults.Ok(new GenerateContentResponse(
                [new Candidate(new Content([new Part(Text: analysis)], "model"), "STOP", 0)], UsageMetadata: textUsage, ModelVersion: model));
        }

        // Roughly Gemini's counts: a token a word, and the model's published output tokens per image.
        var promptTokens = Words(prompt);
        var imageTokens = rules.OutputTokensFor(imageConfig?.ImageSize) ?? UnpublishedOutputTokens;
        var usage = new GeminiUsage(promptTokens, imageTokens, promptTokens + imageTokens);
        if (script.Blocked)
        {
            return TypedResults.Ok(new GenerateContentResponse(PromptFeedback: new PromptFeedback("PROHIBITED_CONTENT"),
                UsageMetadata: usage, ModelVersion: model));
        }

        if (script.Safety)
        {
            return TypedResults.Ok(new GenerateContentResponse([new Candidate(FinishReason: "IMAGE_SAFETY", Index: 0)],
                UsageMetadata: usage, ModelVersion: model));
        }

        var answer = script.NoImage
            ? new Part(Text: "Here is a description of the picture instead of the picture.")
            : new Part(InlineData: new InlineData("image/png",
                script.Corrupt ? FakePng.Corrupt() : FakePng.Paint(width, height, Seed(parts))));
        return TypedResults.Ok(new GenerateContentResponse(
            [new Candidate(new Content([answer], "model"), "STOP", 0)], UsageMetadata: usage, ModelVersion: model));
    }

    /// <summary>Whether the request asks for text alone (<c>responseModalities</c> without IMAGE): an analysis, not a picture.</summary>
    internal static bool WantsTextOnly(GenerateContentRequest request) =>
        request.GenerationConfig?.ResponseModalities is { } modalities && !modalities.Contains("IMAGE", StringComparer.OrdinalIgnoreCase);

    /// <summary>The text answer: deterministic, naming a hash of everything sent (so another image is another analysis) and
    /// repeating the prompt without its markers, so a test can find the analysis in the generation prompt that follows.</summary>
    private static string Analysis(string prompt, IEnumerable<Part> parts)
    {
        var images = parts.Count(p => p.InlineData is not null);
        var asked = string.Join(' ', FakeGeminiMarkers.Strip(prompt).Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
        return $"Fake analysis {Convert.ToHexString(Seed(parts))[..12]} of {images} image(s): it shows what was asked: "
               + (asked.Length > 200 ? asked[..200] : asked);
    }

    // Roughly Gemini's counts: a token a word.
    private static int Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;

    /// <summary>Long edge from imageSize (512, 1K = 1024, 2K = 2048, 4K = 4096), short edge from aspectRatio; the
    /// config is already known to be one the model accepts.</summary>
    internal static (int Width, int Height) Size(ImageConfig? config)
    {
        var edge = GeminiImageModels.LongEdge(config?.ImageSize ?? GeminiImageModel.DefaultImageSize) ?? 1024;
        var sides = (config?.AspectRatio ?? GeminiImageModel.DefaultAspectRatio).Split(':');
        var (w, h) = (int.Parse(sides[0], CultureInfo.InvariantCulture), int.Parse(sides[1], CultureInfo.InvariantCulture));
        return w >= h ? (edge, (int)Math.Round((double)edge * h / w)) : ((int)Math.Round((double)edge * w / h), edge);
    }

    /// <summary>The 429 this call earns, if any: the prompt's <c>[fake:quota]</c> marker first, then the configured
    /// per-day and per-minute quotas (every call counts against both, as at Google).</summary>
    private (FakeQuotaWindow Window, int Limit, string RetryDelay)? QuotaFailure(string prompt, FakeScript script)
    {
        var withinDay = _perDay.TryTake(out _);
        var withinMinute = _perMinute.TryTake(out var minuteLeft);
        if (script.QuotaWindow is { } scripted
            && (script.QuotaCalls is not { } calls || _quotaCallsByPrompt.AddOrUpdate(prompt, 1, static (_, n) => n + 1) <= calls))
        {
            return scripted == FakeQuotaWindow.Day
                ? (scripted, 250, FakeGeminiMarkers.DayQuotaRetryDelay)
                : (scripted, 20, FakeGeminiMarkers.MinuteQuotaRetryDelay);
        }

        if (!withinDay)
        {
            return (FakeQuotaWindow.Day, options.Value.RequestsPerDay, FakeGeminiMarkers.DayQuotaRetryDelay);
        }

        return withinMinute ? null : (FakeQuotaWindow.Minute, options.Value.RequestsPerMinute, GoogleErrors.Duration(minuteLeft));
    }

    private Task WaitAsync(FakeScript script, CancellationToken aborted)
    {
        if (script.Hang)
        {
            return Task.Delay(Timeout.Infinite, aborted);
        }

        var o = options.Value;
        var latency = script.LatencyMs ?? Math.Max(0, o.LatencyMs + Random.Shared.Next(-o.LatencyJitterMs, o.LatencyJitterMs + 1));
        return latency == 0 ? Task.CompletedTask : Task.Delay(latency, aborted);
    }

    private int? FailFirst(string prompt, FakeScript script)
    {
        if (script.FailFirstCount == 0)
        {
            return null;
        }

        var call = _callsByPrompt.AddOrUpdate(prompt, 1, static (_, calls) => calls + 1);
        return call <= script.FailFirstCount ? script.FailFirstStatus : null;
    }

    private int? RandomFailure() =>
        options.Value.FailureRate > 0 && Random.Shared.NextDouble() < options.Value.FailureRate ? options.Value.FailureCode : null;

    // The picture follows everything the caller sent: the prompt and any source image.
    private static byte[] Seed(IEnumerable<Part> parts)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in parts)
        {
            hash.AppendData(part.Text is null ? [] : Encoding.UTF8.GetBytes(part.Text));
            hash.AppendData(part.InlineData?.Data ?? []);
        }

        return hash.GetHashAndReset();
    }
}
