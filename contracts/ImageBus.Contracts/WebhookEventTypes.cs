
namespace ImageBus.Contracts;

/// <summary>The webhook event types, and which endpoint filter names select each.</summary>
public static class WebhookEventTypes
{
    public const string JobAccepted = "job.accepted";
    public const string JobStarted = "job.started";
    public const string ImageCompleted = "image.completed";
    public const string ImageFailed = "image.failed";

    /// <summary>A staged image finished its analysis step; the analysis text comes along.</summary>
    public const string ImageStepCompleted = "image.step_completed";

    /// <summary>A filter group, not a type of its own: selects every per-image event (image.completed, image.failed,
    /// image.step_completed).</summary>
    public const string JobProgress = "job.progress";

    public const string JobCompleted = "job.completed";
    public const string JobPartiallyCompleted = "job.partially_completed";
    public const string JobFailed = "job.failed";
    public const string JobCancelled = "job.cancelled";

    /// <summary>A finished job was asked to retry its failed images; more events follow.</summary>
    public const string JobRetried = "job.retried";

    /// <summary>Every name an endpoint filter may list.</summary>
    public static IReadOnlyList<string> FilterNames { get; } =
    [
        JobAccepted, JobStarted, ImageCompleted, ImageFailed, ImageStepCompleted, JobProgress,
        JobCompleted, JobPartiallyCompleted, JobFailed, JobCancelled, JobRetried,
    ];

    /// <summary>After these a job sends nothing more.</summary>
    public static IReadOnlyList<string> Terminal { get; } = [JobCompleted, JobPartiallyCompleted, JobFailed, JobCancelled];

    // Fully qualified: the constants above share the event records' names.
    public static string For(IJobEvent jobEvent) => jobEvent switch
    {
        ImageBus.Contracts.JobAccepted => JobAccepted,
        ImageBus.Contracts.JobStarted => JobStarted,
        ImageBus.Contracts.JobProgressed { Image.Status: ImageStatuses.Completed } => ImageCompleted,
        ImageBus.Contracts.JobProgressed => ImageFailed,
        ImageBus.Contracts.JobImageStepCompleted => ImageStepCompleted,
        ImageBus.Contracts.JobCompleted => JobCompleted,
        ImageBus.Contracts.JobPartiallyCompleted => JobPartiallyCompleted,
        ImageBus.Contracts.JobFailed => JobFailed,
        ImageBus.Contracts.JobCancelled => JobCancelled,
        ImageBus.Contracts.JobRetried => JobRetried,
        _ => throw new ArgumentOutOfRangeException(nameof(jobEvent), jobEvent.GetType().Name, "not a known job event"),
    };

    /// <summary>An endpoint filter as stored: groups expanded into their types, so that matching an event
    /// is a plain membership test (in SQL too). Null or empty means every type.</summary>
    public static string[]? Expand(IEnumerable<string>? filter)
    {
        var names = filter?.ToList();
        return names is null || names.Count == 0
            ? null
            : [.. names.SelectMany(n => n == JobProgress ? [n, ImageCompleted, ImageFailed, ImageStepCompleted] : new[] { n }).Distinct().Order(StringComparer.Ordinal)];
    }

    /// <summary>The names of <paramref name="filter"/> that are not event types or groups.</summary>
    public static IEnumerable<string> Unknown(IEnumerable<string>? filter) => filter?.Except(FilterNames) ?? [];
}
