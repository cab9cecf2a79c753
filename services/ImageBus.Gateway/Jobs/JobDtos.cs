using ImageBus.Contracts;

namespace ImageBus.Gateway.Jobs;

/// <summary>Body of <c>POST /v1/jobs</c>.</summary>
public sealed record SubmitJobRequest(
    string TenantId,
    string CaseId,
    IReadOnlyList<CaseImageItem> Items,
    int? ImageSize = null,
    string? WebhookUrl = null,
    string? IdempotencyKey = null,
    int? DeadlineSeconds = null,
    IReadOnlyList<string>? WebhookEvents = null);

/// <summary>Answer of <c>POST /v1/jobs</c>: where to follow the job.</summary>
public sealed record JobAcceptedResponse(Guid JobId, string Status, string StatusUrl);

/// <summary>Body of <c>POST /v1/jobs/{id}/cancel</c> (optional).</summary>
public sealed record CancelJobRequest(string? Reason = null);

/// <summary>Answer of <c>GET /v1/jobs/{id}</c>.</summary>
public sealed record JobStatusResponse(
    Guid JobId,
    string TenantId,
    string CaseId,
    string Status,
    JobCounts Counts,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? FinishedAt,
    DateTimeOffset? DeadlineAt,
    string? FailureReason,
    decimal? EstimatedCostUsd,
    int? TotalTokens,
    IReadOnlyList<ImageStatusResponse> Images);

public sealed record ImageStatusResponse(
    string ItemId,
    string Kind,
    string Name,
    string Status,
    int Attempt,
    int Width,
    int Height,
    string? Url,
    string? ErrorCode,
    string? Error,
    string? Model,
    int? TotalTokens,
    decimal? EstimatedCostUsd,
    IReadOnlyList<ImageAttemptResponse> History);

/// <summary>How one earlier attempt of an image ended.</summary>
public sealed record ImageAttemptResponse(int Attempt, string Status, string? ErrorCode, string? Error, DateTimeOffset At);
