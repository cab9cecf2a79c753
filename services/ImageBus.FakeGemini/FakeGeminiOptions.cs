using System.ComponentModel.DataAnnotations;
using ImageBus.Gemini;

namespace ImageBus.FakeGemini;

/// <summary>How the fake behaves for every request. Section <c>FakeGemini</c>.</summary>
public sealed class FakeGeminiOptions
{
    public const string Section = "FakeGemini";

    /// <summary>The key callers must send; empty accepts any non-empty key.</summary>
    public string ApiKey { get; set; } = "fake-key";

    /// <summary>The image models the fake draws with. Empty means <see cref="DefaultModels"/> (configuration binding
    /// appends to a pre-filled list, so the defaults are applied after binding). A model in
    /// <see cref="GeminiImageModels"/> gets its imageConfig rules; any other accepts the common aspect ratios and
    /// 1K, 2K and 4K.</summary>
    public List<string> Models { get; set; } = [];

    /// <summary>The current image models, as Google lists them.</summary>
    public static readonly IReadOnlyList<string> DefaultModels = GeminiImageModels.CurrentIds;

    /// <summary>Models models.list shows besides <see cref="Models"/>, as Google's list mixes in text, Imagen and
    /// embedding models. A name with <c>imagen</c> answers only <c>predict</c>, one with <c>embedding</c> only
    /// <c>embedContent</c>, others <c>generateContent</c> (they answer text-output calls and refuse to draw). Empty means <see cref="DefaultOtherModels"/>,
    /// unless <see cref="ListOtherModels"/> is off.</summary>
    public List<string> OtherModels { get; set; } = [];

    /// <summary>False lists <see cref="Models"/> only.</summary>
    public bool ListOtherModels { get; set; } = true;

    public static readonly IReadOnlyList<string> DefaultOtherModels = [GeminiOptions.DefaultAnalysisModel, "imagen-4.0-generate-001", "gemini-embedding-001"];

    /// <summary>models.list's page size when the caller names none (Google's is 50).</summary>
    [Range(1, 1000)]
    public int DefaultPageSize { get; set; } = 50;

    /// <summary>The most models one page holds whatever the caller asks (Google's cap is 1000); lower it to make paging
    /// happen in tests.</summary>
    [Range(1, 1000)]
    public int MaxPageSize { get; set; } = 1000;

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
    /// answered 429 RESOURCE_EXHAUSTED with a per-minute QuotaFailure and a RetryInfo up to the window's end. 0 means no quota.</summary>
    [Range(0, 1_000_000)]
    public int RequestsPerMinute { get; set; }

    /// <summary>The quota's window, aligned on the Unix epoch; the quota scales with it (RequestsPerMinute × window / 1 min),
    /// so tests can play a minute's quota in a second.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan RateWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a new batch stays JOB_STATE_PENDING before it runs (Google's take minutes to hours).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "2.00:00:00")]
    public TimeSpan BatchPendingTime { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a batch stays JOB_STATE_RUNNING before it ends.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "2.00:00:00")]
    public TimeSpan BatchRunTime { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The largest batch create body with inline requests the fake takes (Google's limit is 20 MB; past it,
    /// requests go in a file); a larger one is answered 400.</summary>
    [Range(1, int.MaxValue)]
    public int BatchMaxInlineBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>True: every batch expires (JOB_STATE_EXPIRED, no results), as one left pending for 48 h does at Google.</summary>
    public bool BatchesExpire { get; set; }

    /// <summary>Gemini's per-day quota: generateContent calls beyond it before the next midnight Pacific time (taken as
    /// UTC−8, daylight saving ignored) are answered 429 with a per-day QuotaFailure. 0 means no quota.</summary>
    [Range(0, 100_000_000)]
    public int RequestsPerDay { get; set; }
}
