using ImageBus.ServiceDefaults.Jobs;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;

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
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Handle<DbUpdateException>();
            r.Handle<NpgsqlException>(e => e.IsTransient || e is PostgresException { SqlState: "23505" or "40001" or "40P01" });
            r.Exponential(8, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100));
        });

        // Events and commands leave only after the saga's transaction committed, so no one acts on
        // a state that was rolled back, and no result can arrive before its job is stored.
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
