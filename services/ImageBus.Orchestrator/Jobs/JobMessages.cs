namespace ImageBus.Orchestrator.Jobs;

/// <summary>Scheduled at acceptance: the job must have ended by now.</summary>
public sealed record JobDeadlineExpired(Guid JobId);

/// <summary>Scheduled while images are out: time to look for images that got no answer.</summary>
public sealed record ImageDeadlineCheck(Guid JobId);

/// <summary>Sent by the backstop sweeper for a job past its deadline that is somehow still unfinished.</summary>
public sealed record ForceFailJob(Guid JobId, string Reason);
