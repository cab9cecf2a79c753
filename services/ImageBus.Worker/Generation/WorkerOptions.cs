using System.ComponentModel.DataAnnotations;

namespace ImageBus.Worker.Generation;

/// <summary>Section <c>Worker</c>.</summary>
public sealed class WorkerOptions
{
    public const string Section = "Worker";

    /// <summary>Images one worker process generates at once. Gemini calls mostly wait on the network,
    /// so a 14-image case takes about one Gemini latency, not fourteen.</summary>
    [Range(1, 256)]
    public int Concurrency { get; set; } = 16;

    /// <summary>Images one worker process holds besides those while they wait for their turn at the shared budget
    /// (<see cref="Throttling.GeminiBudget"/>): a waiting image steps out of its generating slot, so that images of other
    /// tenants behind it in the queue reach the budget and take their turns.</summary>
    [Range(0, 10_000)]
    public int MaxWaiting { get; set; } = 64;

    /// <summary>generateContent calls per minute, per model, that all workers on the same database make together
    /// (Gemini's per-minute quota, or a share of it). A burst up to it starts at once; no 60 s window holds more; calls
    /// past it wait for their turn. See <see cref="Throttling.GeminiBudget"/>.</summary>
    [Range(1, 1_000_000)]
    public int RequestsPerMinute { get; set; } = 60;

    /// <summary>Images per minute, per model, the same way (image models' IPM quota); null when only
    /// <see cref="RequestsPerMinute"/> applies.</summary>
    [Range(1, 1_000_000)]
    public int? ImagesPerMinute { get; set; }

    /// <summary>On SIGTERM the worker stops taking commands and lets the images it is generating finish for this long;
    /// any still unfinished then are cancelled and go back to the queue, for another worker to generate.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Upper bound of one source image download, body included.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan SourceImageTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
