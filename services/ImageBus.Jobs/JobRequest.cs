namespace ImageBus.Jobs;

/// <summary>A job the gateway accepted, recorded in the transaction that writes its command to the outbox, so that
/// the status URL answers "accepted" before the orchestrator has taken the job on, and the sweeper can end a job
/// no saga ever took on.</summary>
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

    /// <summary>When the job must have ended: acceptance plus its deadline. Null on rows written before it was kept.</summary>
    public DateTimeOffset? DeadlineAt { get; set; }
}
