namespace ImageBus.Orchestrator.Tenants;

/// <summary>A job asks its tenant for one of the tenant's generating slots.</summary>
public sealed record RequestJobSlot(Guid TenantSlotsId, string TenantId, Guid JobId);

/// <summary>The job may start generating now.</summary>
public sealed record JobSlotGranted(Guid JobId);

/// <summary>The job ended (or no longer wants its slot); the next waiting job may start.</summary>
public sealed record ReleaseJobSlot(Guid TenantSlotsId, Guid JobId);
