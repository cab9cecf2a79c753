namespace ImageBus.Contracts;

/// <summary>A worker stored one image.</summary>
/// <param name="Location">Where the stored JPEG is: a path under the blob root or an object URL.</param>
/// <param name="Model">The model that made the image, as Gemini names its version.</param>
/// <param name="PromptTokens">Input tokens billed over this attempt's successful Gemini calls, when Gemini reported usage.</param>
/// <param name="CandidatesTokens">Output tokens billed over those calls, when reported.</param>
/// <param name="TotalTokens">All tokens billed over those calls, when reported.</param>
/// <param name="EstimatedCostUsd">Those calls' estimated price in US dollars from the worker's price table
/// (<c>Gemini:Prices</c>); null when the model has no price there.</param>
/// <param name="BilledCalls">This attempt's Gemini calls that Google bills: every call Gemini answered with HTTP 200 (an
/// image, a safety block, no image), not those that timed out, met a 5xx or 429, or were never made.</param>
/// <param name="Analysis">A staged image's analysis (step 1) of this attempt, as <see cref="ImageStepCompleted"/> reported it too:
/// the saga records the step from whichever of the two it applies first.</param>
public sealed record ImageGenerated(
    Guid JobId,
    string ItemId,
    int Attempt,
    string Location,
    int Width,
    int Height,
    long SizeBytes,
    string Model,
    DateTimeOffset CompletedAt,
    int? PromptTokens = null,
    int? CandidatesTokens = null,
    int? TotalTokens = null,
    decimal? EstimatedCostUsd = null,
    int BilledCalls = 1,
    string? Analysis = null);

/// <summary>A worker gave up on one image.</summary>
/// <param name="ErrorCode">A stable code, e.g. RESOURCE_EXHAUSTED, IMAGE_SAFETY, TIMEOUT.</param>
/// <param name="Transient">Whether trying again later may succeed.</param>
/// <param name="Calls">How many Gemini calls were made for this attempt.</param>
/// <param name="BilledCalls">How many of them Google bills (see <see cref="ImageGenerated.BilledCalls"/>): a safety block or an
/// answer without an image is billed, a timeout or a 5xx is not.</param>
/// <param name="Analysis">A staged image's analysis when step 1 succeeded and step 2 failed (see <see cref="ImageGenerated.Analysis"/>).</param>
public sealed record ImageGenerationFailed(
    Guid JobId,
    string ItemId,
    int Attempt,
    string ErrorCode,
    string Message,
    bool Transient,
    int Calls,
    DateTimeOffset FailedAt,
    int BilledCalls = 0,
    string? Analysis = null);

/// <summary>A batched image's batch ended without a result for it (the batch expired, failed, or was cancelled at Gemini):
/// the saga sends it live if the job's deadline still allows, else leaves it to time out.</summary>
/// <param name="BatchState">How the batch ended, e.g. <c>expired</c>.</param>
public sealed record BatchImageAbandoned(Guid JobId, string ItemId, int Attempt, Guid BatchId, string BatchState, DateTimeOffset At);

/// <summary>A worker finished step 1 of a staged image (<see cref="ImageKinds.Staged"/>): Gemini analysed its source image.
/// Step 2 (the generation) follows in the same handling of the <see cref="GenerateImage"/>; its
/// <see cref="ImageGenerated"/> or <see cref="ImageGenerationFailed"/> counts every call of the attempt, these included.</summary>
/// <param name="Analysis">The analysis text, as it goes into the generation prompt.</param>
/// <param name="Model">The text model that analysed the image.</param>
/// <param name="BilledCalls">The analysis calls Google bills (answered with HTTP 200).</param>
public sealed record ImageStepCompleted(
    Guid JobId,
    string ItemId,
    int Attempt,
    string Analysis,
    string Model,
    int Calls,
    int BilledCalls,
    DateTimeOffset CompletedAt);

/// <summary>How many images of a job are in each state.</summary>
public sealed record JobCounts(int Total, int Completed, int Failed, int TimedOut, int Cancelled)
{
    public int Unfinished => Total - Completed - Failed - TimedOut - Cancelled;
}

/// <summary>The state of one image as reported in job events.</summary>
public sealed record ImageResult(
    string ItemId,
    string Kind,
    string Status,
    int Attempt,
    string? Location,
    int? Width,
    int? Height,
    string? ErrorCode,
    string? Error,
    bool? Billed = null,
    string? Step = null);

/// <summary>Where a job stands when one of its events is published. <see cref="Sequence"/> only
/// grows within a job, so subscribers can order events and drop duplicates.</summary>
/// <param name="Billing">What the job cost in images, for an upstream app that takes credits up front and refunds.</param>
public sealed record JobSnapshot(
    Guid JobId,
    string TenantId,
    string CaseId,
    string Status,
    long Sequence,
    JobCounts Counts,
    DateTimeOffset Timestamp,
    decimal? EstimatedCostUsd = null,
    int? TotalTokens = null,
    JobBilling? Billing = null);

/// <summary>A job's billing facts. <see cref="BilledImages"/>: images at least one billed Gemini call was made for, over every
/// attempt (a retry's calls count on the new attempt); <see cref="DeliveredImages"/>: images completed and stored;
/// <see cref="RefundableImages"/>: images not delivered, billed or not (what a credit taken per image up front should give
/// back); <see cref="BilledCalls"/>: billed Gemini calls in all.</summary>
public sealed record JobBilling(int BilledImages, int DeliveredImages, int RefundableImages, int BilledCalls);

/// <summary>What every job event has: the job's snapshot at the time.</summary>
public interface IJobEvent
{
    JobSnapshot Job { get; }
}

/// <summary>The orchestrator took the job on.</summary>
/// <param name="WebhookEvents">The job's webhook event filter, from <see cref="GenerateCaseImages.WebhookEvents"/>.</param>
public sealed record JobAccepted(JobSnapshot Job, string? WebhookUrl, IReadOnlyList<string>? WebhookEvents = null) : IJobEvent;

/// <summary>The job's images were dispatched to workers.</summary>
public sealed record JobStarted(JobSnapshot Job) : IJobEvent;

/// <summary>One image of the job reached a result.</summary>
public sealed record JobProgressed(JobSnapshot Job, ImageResult Image) : IJobEvent;

/// <summary>A staged image finished its analysis step: <see cref="Analysis"/> is the text its generation starts from.</summary>
public sealed record JobImageStepCompleted(JobSnapshot Job, ImageResult Image, string Analysis) : IJobEvent;

/// <summary>Every image of the job was generated.</summary>
public sealed record JobCompleted(JobSnapshot Job, IReadOnlyList<ImageResult> Images) : IJobEvent;

/// <summary>The job ended with some images generated and some not.</summary>
public sealed record JobPartiallyCompleted(JobSnapshot Job, IReadOnlyList<ImageResult> Images) : IJobEvent;

/// <summary>The job ended with no image generated.</summary>
public sealed record JobFailed(JobSnapshot Job, string Reason, IReadOnlyList<ImageResult> Images) : IJobEvent;

/// <summary>The job was cancelled; unfinished images are marked cancelled.</summary>
public sealed record JobCancelled(JobSnapshot Job, string Reason, IReadOnlyList<ImageResult> Images) : IJobEvent;

/// <summary>A partial or failed job was asked to try its failed images again; it waits for a slot.</summary>
public sealed record JobRetried(JobSnapshot Job, IReadOnlyList<string> ItemIds) : IJobEvent;

/// <summary>The job was refused as invalid; <see cref="Errors"/> lists every problem found.</summary>
public sealed record CaseImagesRejected(
    Guid JobId,
    string TenantId,
    string CaseId,
    IReadOnlyList<string> Errors,
    DateTimeOffset Timestamp);
