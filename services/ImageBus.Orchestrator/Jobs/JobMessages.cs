namespace ImageBus.Orchestrator.Jobs;

/// <summary>Scheduled at acceptance: the job must have ended by now.</summary>
public sealed record JobDeadlineExpired(Guid JobId);

/// <summary>Scheduled while images are out: time to look for images that got no answer.</summary>
public sealed record ImageDeadlineCheck(Guid JobId);

/// <summary>Sent by the backstop sweeper for a job past its deadline that is somehow still unfinished.</summary>
public sealed record ForceFailJob(Guid JobId, string Reason);

/// <summary>Sent by the sweeper for a job the gateway accepted that no saga ever took on (its command lost, or refused
/// before it could be stored), once past its deadline: the saga records it failed with the reason and reports it as
/// any failed job, so the status API and the job's events keep one source of truth.</summary>
public sealed record FailUnstartedJob(Guid JobId, string TenantId, string CaseId, DateTimeOffset AcceptedAt, DateTimeOffset DeadlineAt,
    string Reason);
