using System.ComponentModel.DataAnnotations;

namespace ImageBus.ServiceDefaults.Jobs;

/// <summary>Limits on what a job may ask for. Section <c>Jobs</c>; the gateway and the orchestrator
/// read the same values so that both reject the same requests.</summary>
public sealed class JobOptions
{
    public const string Section = "Jobs";

    [Range(1, 10_000)]
    public int MaxItems { get; set; } = 64;

    [Range(64, 4096)]
    public int DefaultImageSize { get; set; } = 1024;

    [Range(64, 4096)]
    public int MinImageSize { get; set; } = 128;

    [Range(64, 8192)]
    public int MaxImageSize { get; set; } = 2048;

    [Range(1, 10_000)]
    public int MaxPromptLength { get; set; } = 4000;
}
