using ImageBus.Contracts;

namespace ImageBus.Gateway.Jobs;

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
    string? Model = null);

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
    string? SourceImageUpload = null)
{
    public CaseImageItem ToCaseItem(string? sourceImageKey) =>
        new(ItemId, Kind, Name, Description, Prompt, AspectRatio, SourceImageUrl, ImageSize, sourceImageKey);
}

/// <summary>Answer of <c>POST /v1/jobs</c>: where to follow the job.</summary>
public sealed record JobAcceptedResponse(Guid JobId, string Status, string StatusUrl);

/// <summary>Body of <c>POST /v1/jobs/{id}/cancel</c> (optional).</summary>
public sealed record CancelJobRequest(string? Reason = null);

/// <summary>Answer of <c>GET /v1/jobs/{id}</c>.</summary>
/// <param name="Model">The Gemini model of the job's images; null until the orchestrator has taken the job on.</param>
/// <param name="Billing">Images billed, delivered and refundable (see README, "Billing facts").</param>
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
    IReadOnlyList<ImageStatusResponse> Images);

/// <param name="Step">A staged image's step (<c>analysing</c>, <c>generating</c>; the last one reached once it ended), null for other kinds.</param>
/// <param name="Analysis">A staged image's analysis of its source image in the current attempt, once step 1 finished.</param>
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
    IReadOnlyList<ImageAttemptResponse> History);

/// <summary>How one earlier attempt of an image ended, and the Gemini calls billed for it.</summary>
public sealed record ImageAttemptResponse(int Attempt, string Status, string? ErrorCode, string? Error, DateTimeOffset At, int BilledCalls);
