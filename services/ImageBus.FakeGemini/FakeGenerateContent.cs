using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ImageBus.Gemini;
using ImageBus.Gemini.Wire;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ImageBus.FakeGemini;

/// <summary>The fake's generateContent: validates like Gemini, plays the prompt's <see cref="FakeGeminiMarkers"/>,
/// otherwise paints a PNG sized by <c>imageConfig</c>.</summary>
internal sealed class FakeGenerateContent(IOptions<FakeGeminiOptions> options, TimeProvider clock)
{
    private static readonly IReadOnlyList<string> AspectRatios = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"];

    // [fake:fail-first] counts calls per exact prompt for the fake's lifetime (one instance per test host).
    private readonly ConcurrentDictionary<string, int> _callsByPrompt = new(StringComparer.Ordinal);

    private readonly FakeQuota _quota = new(options.Value, clock);

    public async Task<Results<Ok<GenerateContentResponse>, JsonHttpResult<ErrorEnvelope>>> HandleAsync(
        string model, GenerateContentRequest request, HttpContext http)
    {
        var parts = request.Contents?.SelectMany(c => c.Parts ?? []).ToList() ?? [];
        var prompt = string.Concat(parts.Select(p => p.Text));
        var script = FakeGeminiMarkers.Parse(prompt);
        FakeRequestLog.Note(http, model, script.Summary);
        if (script.Invalid is { } marker)
        {
            return GoogleErrors.Create(400, $"Unknown fake marker {marker}.");
        }

        if (parts.Count == 0)
        {
            return GoogleErrors.Create(400, "* GenerateContentRequest.contents: contents is not specified");
        }

        var imageConfig = request.GenerationConfig?.ImageConfig;
        if (!TrySize(imageConfig, out var width, out var height, out var invalid))
        {
            return GoogleErrors.Create(400, invalid);
        }

        var overQuota = !_quota.TryTake();
        await WaitAsync(script, http.RequestAborted);

        if ((overQuota ? 429 : script.ErrorStatus ?? FailFirst(prompt, script) ?? RandomFailure()) is { } status)
        {
            return GoogleErrors.Scripted(status, http.Response);
        }

        // Roughly Gemini's counts: a token a word, and the flat 1290 tokens it bills per image.
        var promptTokens = prompt.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        var usage = new GeminiUsage(promptTokens, 1290, promptTokens + 1290);
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

        var wantsImage = request.GenerationConfig?.ResponseModalities is not { } modalities
                         || modalities.Contains("IMAGE", StringComparer.OrdinalIgnoreCase);
        var answer = script.NoImage || !wantsImage
            ? new Part(Text: "Here is a description of the picture instead of the picture.")
            : new Part(InlineData: new InlineData("image/png",
                script.Corrupt ? FakePng.Corrupt() : FakePng.Paint(width, height, Seed(parts))));
        return TypedResults.Ok(new GenerateContentResponse(
            [new Candidate(new Content([answer], "model"), "STOP", 0)], UsageMetadata: usage, ModelVersion: model));
    }

    /// <summary>Long edge from imageSize (1K = 1024, 2K = 2048, 4K = 4096), short edge from aspectRatio.</summary>
    internal static bool TrySize(ImageConfig? config, out int width, out int height, out string invalid)
    {
        (width, height, invalid) = (0, 0, "");
        int? longEdge = config?.ImageSize switch
        {
            null or "1K" => 1024,
            "2K" => 2048,
            "4K" => 4096,
            _ => null,
        };
        var ratio = config?.AspectRatio ?? "1:1";
        if (longEdge is not { } edge || !AspectRatios.Contains(ratio))
        {
            invalid = $"* GenerateContentRequest.generation_config.image_config: unsupported imageSize '{config?.ImageSize}' "
                      + $"or aspectRatio '{ratio}'";
            return false;
        }

        var sides = ratio.Split(':');
        var (w, h) = (int.Parse(sides[0], CultureInfo.InvariantCulture), int.Parse(sides[1], CultureInfo.InvariantCulture));
        (width, height) = w >= h ? (edge, (int)Math.Round((double)edge * h / w)) : ((int)Math.Round((double)edge * w / h), edge);
        return true;
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
