using MassTransit;

namespace ImageBus.Orchestrator.Tenants;

/// <summary>Which jobs of one tenant generate now and which wait, in arrival order. Kept as a saga
/// of its own (one row per tenant, updated under its row lock) so that the limit holds across every
/// orchestrator instance without counting other jobs' rows.</summary>
public sealed class TenantSlots : SagaStateMachineInstance
{
    /// <summary>Derived from the tenant id (<see cref="ForTenant"/>).</summary>
    public Guid CorrelationId { get; set; }

    public string CurrentState { get; set; } = "";
    public string TenantId { get; set; } = "";
    public List<Guid> Generating { get; set; } = [];
    public List<Guid> Waiting { get; set; } = [];

    public static Guid ForTenant(string tenantId) => Contracts.JobIds.ForIdempotencyKey(tenantId, "tenant-slots");
}
