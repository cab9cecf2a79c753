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

    /// <summary>...or this many bytes of requests (their JSON, source images included). Up to
    /// <c>Gemini:BatchInlineMaxBytes</c> they go inline, above it as a JSONL file (Google takes 20 MB inline, 2 GB as a
    /// file); a worker holds a batch's requests in memory while it creates it.</summary>
    [Range(1_000, 2_000_000_000)]
    public long MaxBytes { get; set; } = 100_000_000;

    /// <summary>How often a batch's state is asked of Gemini while it is pending or running.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);
}
