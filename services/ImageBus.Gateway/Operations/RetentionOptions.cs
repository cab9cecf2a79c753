using System.ComponentModel.DataAnnotations;

namespace ImageBus.Gateway.Operations;

/// <summary>Section <c>Retention</c>: how long finished jobs are kept, and how they are removed.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>Whether the gateways sweep at all (one at a time).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Only count and log what would go. On by default: an operator looks at a dry run's figures, then turns it off.</summary>
    public bool DryRun { get; set; } = true;

    /// <summary>How long a job is kept after it ended (or, never started, after it was accepted): its rows, events, webhook
    /// deliveries, images and uploaded source images.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00")]
    public TimeSpan KeepJobsFor { get; set; } = TimeSpan.FromDays(30);

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Jobs removed per transaction: small, so a sweep never holds many rows or a long lock.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 100;
}
