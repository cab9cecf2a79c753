using System.ComponentModel.DataAnnotations;

namespace ImageBus.FakeGemini;

/// <summary>How the fake behaves for every request. Section <c>FakeGemini</c>.</summary>
public sealed class FakeGeminiOptions
{
    public const string Section = "FakeGemini";

    /// <summary>The key callers must send; empty accepts any non-empty key.</summary>
    public string ApiKey { get; set; } = "fake-key";

    /// <summary>The models the fake knows. Empty means <see cref="DefaultModels"/> (configuration binding appends
    /// to a pre-filled list, so the defaults are applied after binding).</summary>
    public List<string> Models { get; set; } = [];

    public static readonly IReadOnlyList<string> DefaultModels = ["gemini-2.5-flash-image", "gemini-3-pro-image-preview"];

    [Range(0, 600_000)]
    public int LatencyMs { get; set; } = 300;

    [Range(0, 600_000)]
    public int LatencyJitterMs { get; set; } = 100;

    /// <summary>Share of generateContent calls, 0 to 1, that fail with <see cref="FailureCode"/>.</summary>
    [Range(0.0, 1.0)]
    public double FailureRate { get; set; }

    [Range(400, 599)]
    public int FailureCode { get; set; } = 503;

    /// <summary>Gemini's per-minute quota: generateContent calls beyond it within one <see cref="RateWindow"/> are
    /// answered 429 RESOURCE_EXHAUSTED. 0 means no quota.</summary>
    [Range(0, 1_000_000)]
    public int RequestsPerMinute { get; set; }

    /// <summary>The quota's window, aligned on the Unix epoch; the quota scales with it (RequestsPerMinute × window / 1 min),
    /// so tests can play a minute's quota in a second.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan RateWindow { get; set; } = TimeSpan.FromMinutes(1);
}
