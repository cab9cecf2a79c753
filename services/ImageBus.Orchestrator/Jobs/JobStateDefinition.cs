using ImageBus.Jobs;
using ImageBus.Messaging.Sagas;
using MassTransit;
using MassTransit.Serialization;

namespace ImageBus.Orchestrator.Jobs;

/// <summary>Endpoint settings of the job saga (queue <c>job-state</c>).</summary>
public sealed class JobStateDefinition : SagaDefinition<JobState>
{
    public JobStateDefinition()
    {
        // Results of one job wait on its row lock, results of other jobs go on beside them.
        ConcurrentMessageLimit = 32;
    }

    protected override void ConfigureSaga(IReceiveEndpointConfigurator endpointConfigurator, ISagaConfigurator<JobState> sagaConfigurator,
        IRegistrationContext context)
    {
        // Plain JSON (application/json, no envelope) from non-.NET publishers besides MassTransit's envelopes;
        // CaseCommandFilter decides what a plain body is.
        endpointConfigurator.UseRawJsonDeserializer(RawSerializerOptions.AnyMessageType | RawSerializerOptions.AddTransportHeaders, isDefault: false);
        endpointConfigurator.UseSagaPersistenceRetry();
        endpointConfigurator.UseFilter(ActivatorUtilities.CreateInstance<CaseCommandFilter>(context));

        // Events and commands leave only after the saga's transaction committed, so no one acts on
        // a state that was rolled back, and no result can arrive before its job is stored.
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
