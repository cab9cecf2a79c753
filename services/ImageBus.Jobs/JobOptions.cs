using System.ComponentModel.DataAnnotations;
using ImageBus.Contracts;

namespace ImageBus.Jobs;

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

    /// <summary>Also caps an item's enhancement tier: 4096 lets the 4K tier through.</summary>
    [Range(64, 8192)]
    public int MaxImageSize { get; set; } = 4096;

    [Range(1, 10_000)]
    public int MaxPromptLength { get; set; } = 4000;

    /// <summary>How long a job may take from acceptance unless its request says otherwise.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan JobDeadline { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long an image may stay unanswered before it is sent once more, and then failed
    /// as timed out. Longer than a worker's Gemini call timeout times its attempts.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ImageDeadline { get; set; } = TimeSpan.FromMinutes(4);

    /// <summary>Jobs of one tenant that generate at once; the rest wait in pending, in arrival order.</summary>
    [Range(1, 1000)]
    public int MaxGeneratingPerTenant { get; set; } = 3;

    /// <summary>How long the gateway keeps an idempotency key: a repeat within it is the same job (or a 409 for
    /// another body); after it the key may be used for a new job.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan IdempotencyKeyRetention { get; set; } = TimeSpan.FromHours(24);

    [Range(1, 86_400)]
    public int MinDeadlineSeconds { get; set; } = 5;

    [Range(1, 604_800)]
    public int MaxDeadlineSeconds { get; set; } = 86_400;

    /// <summary>How long a batch-mode job may take unless its request says otherwise: Google targets 24 hours for a batch.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan BatchJobDeadline { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The batch turnaround an <c>auto</c> job is batched for: a deadline at least this long goes through the Batch
    /// API, a shorter one live.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan BatchTurnaround { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a job may take: its request's <c>deadlineSeconds</c>, else <see cref="BatchJobDeadline"/> for a job
    /// that asks for batch mode and <see cref="JobDeadline"/> for the rest.</summary>
    public TimeSpan DeadlineFor(int? deadlineSeconds, string? mode) =>
        deadlineSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : mode == GenerationModes.Batch ? BatchJobDeadline : JobDeadline;

    /// <summary>The mode a job runs in: <c>auto</c> settled by its deadline against <see cref="BatchTurnaround"/>, no mode live.</summary>
    public string ModeFor(string? mode, TimeSpan deadline) => mode switch
    {
        GenerationModes.Batch => GenerationModes.Batch,
        GenerationModes.Auto => deadline >= BatchTurnaround ? GenerationModes.Batch : GenerationModes.Live,
        _ => GenerationModes.Live,
    };
}
