using ImageBus.Orchestrator.Jobs;
using ImageBus.ServiceDefaults.Hosting;
using ImageBus.ServiceDefaults.Jobs;
using ImageBus.ServiceDefaults.Messaging;
using ImageBus.ServiceDefaults.Persistence;
using ImageBus.ServiceDefaults.Sagas;

namespace ImageBus.Orchestrator;

public static class OrchestratorExtensions
{
    /// <summary>The job saga on RabbitMQ, persisted in PostgreSQL.</summary>
    public static IServiceCollection AddOrchestrator(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<JobOptions>(JobOptions.Section);
        services.AddSingleton(TimeProvider.System);
        services.AddImageBusDatabase(configuration);
        services.AddCommandQueue(QueueNames.GenerateImage);
        services.AddImageBusMessaging(bus =>
            bus.AddSagaStateMachine<JobStateMachine, JobState>(typeof(JobStateDefinition))
                .PostgresRepository<JobState, ImageBusDbContext>());
        return services;
    }
}
