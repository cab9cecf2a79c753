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
}
