using System.ComponentModel.DataAnnotations;

namespace ImageBus.Batches;

/// <summary>How the worker packs batch-mode images into Gemini batches and follows them (section <c>Batching</c>).</summary>
public sealed class BatchingOptions
{
    public const string Section = "Batching";

    /// <summary>A batch is sent to Gemini once it holds this many image requests...</summary>
    [Range(1, 10_000)]
    public int MaxRequests { get; set; } = 100;

    /// <summary>...or this long after its first one, whichever comes first: images of several jobs share a batch.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Requests are inlined, up to this many bytes of them in a batch (Google takes 20 MB inline; the rest is the
    /// request's own JSON).</summary>
    [Range(1_000, 20_000_000)]
    public long MaxInlineBytes { get; set; } = 18_000_000;

    /// <summary>How often a batch's state is asked of Gemini while it is pending or running.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);
}
