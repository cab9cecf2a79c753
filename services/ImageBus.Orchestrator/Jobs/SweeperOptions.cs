using System.ComponentModel.DataAnnotations;

namespace ImageBus.Orchestrator.Jobs;

/// <summary>Section <c>Sweeper</c>.</summary>
public sealed class SweeperOptions
{
    public const string Section = "Sweeper";

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How far past its deadline a job must be before the sweeper steps in; the scheduled
    /// deadline should have ended it long before.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan Grace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Only log what would be forced.</summary>
    public bool DryRun { get; set; }
}
