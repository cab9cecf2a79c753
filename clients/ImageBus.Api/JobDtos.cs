using ImageBus.Contracts;

namespace ImageBus.Api;

/// <summary>Body of <c>POST /v1/jobs</c> as JSON, or its <c>job</c> part as <c>multipart/form-data</c>; the fields of
/// <see cref="GenerateCaseImages"/>. <see cref="TenantId"/> may be left out: the tenant is the API key's.</summary>
public sealed record SubmitJobRequest(
    string? TenantId,
    string CaseId,
    IReadOnlyList<SubmitJobItem> Items,
    int? ImageSize = null,
    string? WebhookUrl = null,
    string? IdempotencyKey = null,
    int? DeadlineSeconds = null,
    IReadOnlyList<string>? WebhookEvents = null,
    string? Model = null,
    string? Mode = null);

/// <summary>One image of a <see cref="SubmitJobRequest"/>: the fields of <see cref="CaseImageItem"/>, except that a
/// source image sent along is named by its file part (<see cref="SourceImageUpload"/>); its blob key is the gateway's
/// to give, never the caller's.</summary>
public sealed record SubmitJobItem(
    string ItemId,
    string Kind,
    string Name,
    string? Description = null,
    string? Prompt = null,
    string? AspectRatio = null,
    string? SourceImageUrl = null,
    string? ImageSize = null,
    string? SourceImageUpload = null);

/// <summary>Answer of <c>POST /v1/jobs</c>: where to follow the job.</summary>
public sealed record JobAcceptedResponse(Guid JobId, string Status, string StatusUrl);

/// <summary>Body of <c>POST /v1/jobs/{id}/cancel</c> (optional).</summary>
public sealed record CancelJobRequest(string? Reason = null);

/// <summary>Answer of <c>GET /v1/jobs/{id}</c>.</summary>
/// <param name="Model">The Gemini model of the job's images; null until the orchestrator has taken the job on.</param>
/// <param name="Billing">Images billed, delivered and refundable (see README, "Billing facts").</param>
/// <param name="Mode">How the job's images reach Gemini: <c>live</c> or <c>batch</c> (<c>auto</c> is settled to one of them when the
/// job is taken on); null until then.</param>
/// <param name="Batches">The Gemini batches a batch-mode job's images went into, with their states; empty for a live job.</param>
/// <param name="StartedAt">When the job last started generating (a retry starts it again).</param>
/// <param name="JobsAhead">A live job waiting for one of its tenant's generating slots: how many of the tenant's jobs wait ahead of it.</param>
/// <param name="EstimatedStartAt">When such a job may start, from how long the tenant's recent jobs took; null for other jobs, or
/// before any job has finished.</param>
public sealed record JobStatusResponse(
    Guid JobId,
    string TenantId,
    string CaseId,
    string Status,
    string? Model,
    JobCounts Counts,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? FinishedAt,
    DateTimeOffset? DeadlineAt,
    string? FailureReason,
    decimal? EstimatedCostUsd,
    int? TotalTokens,
    JobBilling Billing,
    IReadOnlyList<ImageStatusResponse> Images,
    string? Mode = null,
    IReadOnlyList<JobBatchResponse>? Batches = null,
    DateTimeOffset? StartedAt = null,
    int? JobsAhead = null,
    DateTimeOffset? EstimatedStartAt = null);

/// <summary>A Gemini batch holding images of the job (it may hold other jobs' images too).</summary>
/// <param name="Name">Gemini's name for it (<c>batches/…</c>), once Gemini has it.</param>
/// <param name="State"><c>open</c>, <c>full</c>, <c>creating</c> (ours), then Gemini's: <c>pending</c>, <c>running</c>,
/// <c>succeeded</c>, <c>failed</c>, <c>expired</c>, <c>cancelled</c>.</param>
/// <param name="Images">The job's image attempts in it.</param>
public sealed record JobBatchResponse(
    Guid BatchId, string? Name, string State, int Images, DateTimeOffset OpenedAt, DateTimeOffset? SubmittedAt, DateTimeOffset? EndedAt);

/// <param name="Step">A staged image's step (<c>analysing</c>, <c>generating</c>; the last one reached once it ended), null for other kinds.</param>
/// <param name="Analysis">A staged image's analysis of its source image in the current attempt, once step 1 finished.</param>
/// <param name="Route">Where the current attempt was sent: <c>live</c> or <c>batch</c>; null before it was sent.</param>
/// <param name="BatchId">The Gemini batch (one of the job's <see cref="JobStatusResponse.Batches"/>) the current attempt is in.</param>
public sealed record ImageStatusResponse(
    string ItemId,
    string Kind,
    string Name,
    string Status,
    string? Step,
    string? Analysis,
    int Attempt,
    int Width,
    int Height,
    string? Url,
    string? ErrorCode,
    string? Error,
    string? Model,
    int? TotalTokens,
    decimal? EstimatedCostUsd,
    bool Billed,
    int BilledCalls,
    IReadOnlyList<ImageAttemptResponse> History,
    string? Route = null,
    Guid? BatchId = null);

/// <summary>How one earlier attempt of an image ended, and the Gemini calls billed for it.</summary>
public sealed record ImageAttemptResponse(int Attempt, string Status, string? ErrorCode, string? Error, DateTimeOffset At, int BilledCalls);

/// <summary>One job in <c>GET /v1/jobs</c>: where it stands, without its images.</summary>
public sealed record JobSummary(
    Guid JobId, string TenantId, string CaseId, string Status, JobCounts Counts, JobBilling Billing,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? FinishedAt, string StatusUrl);

/// <summary>A page of jobs, newest first; <see cref="NextCursor"/> asks for the next one (null on the last page).</summary>
public sealed record JobPage(IReadOnlyList<JobSummary> Items, string? NextCursor);

/// <summary><c>manifest.json</c> of a job's archive: the job as it stood when the archive was written, and every item,
/// with the file that holds its image (null for an item without one: failed, timed out, cancelled or not done yet).</summary>
public sealed record JobArchiveManifest(
    Guid JobId, string TenantId, string CaseId, string Status, JobCounts Counts, JobBilling Billing, string? FailureReason,
    DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, DateTimeOffset ArchivedAt, IReadOnlyList<JobArchiveItem> Items);

public sealed record JobArchiveItem(
    string ItemId, string Kind, string Name, string Status, int Attempt, int Width, int Height, string? FileName, string? ErrorCode, string? Error);

/// <summary>Body of <c>POST /v1/admin/retention/run</c> (optional): a dry run unless <see cref="DryRun"/> is false.</summary>
public sealed record RunRetentionRequest(bool DryRun = true);

/// <summary>What one pass removed, or in a dry run would remove, per kind. <see cref="Blobs"/> is null in a dry run: the blobs
/// are counted as they are deleted, and listing a store job by job costs as much as deleting.</summary>
public sealed record RetentionRunResponse(bool DryRun, DateTimeOffset Cutoff, int Jobs, int Events, int Deliveries, int? Blobs);
