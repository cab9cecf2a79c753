using ImageBus.Orchestrator.Jobs;
using ImageBus.Orchestrator.Tenants;
using ImageBus.ServiceDefaults.Hosting;
using ImageBus.ServiceDefaults.Jobs;
using ImageBus.ServiceDefaults.Messaging;
using ImageBus.ServiceDefaults.Persistence;
using ImageBus.ServiceDefaults.Sagas;
using ImageBus.ServiceDefaults.Scheduling;
using MassTransit;
using JobStateMachine = ImageBus.Orchestrator.Jobs.JobStateMachine;

namespace ImageBus.Orchestrator;

public static class OrchestratorExtensions
{
    /// <summary>The job and tenant-slot sagas on RabbitMQ, persisted in PostgreSQL.</summary>
    public static IServiceCollection AddOrchestrator(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<JobOptions>(JobOptions.Section);
        services.AddValidatedOptions<SweeperOptions>(SweeperOptions.Section);
        services.AddSingleton(TimeProvider.System);
        services.AddImageBusDatabase(configuration);
        services.AddCommandQueue(QueueNames.GenerateImage);
        services.AddImageBusMessaging(bus =>
        {
            bus.AddPostgresMessageScheduler();
            bus.AddSagaStateMachine<JobStateMachine, JobState>(typeof(JobStateDefinition))
                .PostgresRepository<JobState, ImageBusDbContext>();
            bus.AddSagaStateMachine<TenantSlotStateMachine, TenantSlots>(typeof(TenantSlotsDefinition))
                .PostgresRepository<TenantSlots, ImageBusDbContext>();
        });
        services.AddScheduledMessageDispatcher();
        services.AddSingleton<OverdueJobSweeper>();
        services.AddHostedService(provider => provider.GetRequiredService<OverdueJobSweeper>());
        return services;
    }
}
