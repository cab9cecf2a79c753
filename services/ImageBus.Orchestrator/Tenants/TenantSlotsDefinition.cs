using ImageBus.Jobs;
using ImageBus.Messaging.Sagas;
using MassTransit;

namespace ImageBus.Orchestrator.Tenants;

/// <summary>Endpoint settings of the tenant slot saga (queue <c>tenant-slots</c>).</summary>
public sealed class TenantSlotsDefinition : SagaDefinition<TenantSlots>
{
    protected override void ConfigureSaga(IReceiveEndpointConfigurator endpointConfigurator, ISagaConfigurator<TenantSlots> sagaConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.UseSagaPersistenceRetry();
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
