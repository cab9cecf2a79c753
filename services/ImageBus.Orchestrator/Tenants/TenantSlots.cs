using System.Security.Cryptography;
using System.Text;
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

    /// <summary>A name-based (version 5 style) UUID of the tenant, the same on every instance without asking anyone.
    /// (Computed as job ids once were, so rows stored before job ids became random keep their id.)</summary>
    public static Guid ForTenant(string tenantId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"imagebus-job\n{tenantId}\ntenant-slots"));
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
