using ImageBus.Jobs;
using ImageBus.Messaging.Sagas;
using MassTransit;
using MassTransit.Middleware;

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
        // Plain JSON (application/json, no envelope) from non-.NET publishers besides MassTransit's envelopes.
        endpointConfigurator.AddDeserializer(new PlainCaseCommandSerializerFactory(), isDefault: false);
        // Commands that cannot be read or stored are rejected, not moved to job-state_error; everything else is as usual.
        endpointConfigurator.ConfigureError(error =>
        {
            error.UseFilter(ActivatorUtilities.CreateInstance<CaseRejectionFilter>(context));
            error.UseFilter(new GenerateFaultFilter());
            error.UseFilter(new ErrorTransportFilter());
        });
        endpointConfigurator.UseSagaPersistenceRetry();

        // Events and commands leave only after the saga's transaction committed, so no one acts on
        // a state that was rolled back, and no result can arrive before its job is stored. On PostgreSQL the
        // repository's transactional outbox already holds them (nothing reaches this one); the in-memory outbox
        // keeps the same promise for in-memory repositories (the test harness).
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
