namespace ImageBus.Jobs;

/// <summary>A job the gateway accepted, recorded before its command is published so that the
/// status URL answers "accepted" even before the orchestrator has taken the job on.</summary>
public sealed class JobRequest
{
    public Guid JobId { get; set; }
    public string TenantId { get; set; } = "";
    public string CaseId { get; set; } = "";
    public int ItemCount { get; set; }
    public string? IdempotencyKey { get; set; }
    public DateTimeOffset AcceptedAt { get; set; }

    /// <summary>Why the orchestrator refused the job when it could not even store it (the database refused its
    /// data); null otherwise. A job it stored has its own row and reason.</summary>
    public string? RejectedReason { get; set; }
    public DateTimeOffset? RejectedAt { get; set; }
}
