using ImageBus.Gemini;
using ImageBus.Orchestrator.Jobs;
using ImageBus.Orchestrator.Tenants;
using ImageBus.ServiceDefaults;
using ImageBus.Jobs;
using ImageBus.Messaging;
using ImageBus.Persistence;
using ImageBus.Messaging.Sagas;
using ImageBus.Messaging.Outbox;
using ImageBus.Messaging.Scheduling;
using MassTransit;
using JobStateMachine = ImageBus.Orchestrator.Jobs.JobStateMachine;

namespace ImageBus.Orchestrator;

public static class OrchestratorExtensions
{
    /// <summary>The job and tenant-slot sagas on RabbitMQ, persisted in PostgreSQL.</summary>
    public static IServiceCollection AddOrchestrator(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<JobOptions>(JobOptions.Section);
        services.AddGeminiModelOptions(configuration);
        services.AddValidatedOptions<SweeperOptions>(SweeperOptions.Section);
        services.AddSingleton(TimeProvider.System);
        services.AddJobStore();
        services.AddOwnedDbContext<TenantSlotsDbContext>(OwnedSchema.Of<TenantSlotsDbContext>());
        services.AddCommandQueue(QueueNames.GenerateImage);
        services.AddCommandQueue(QueueNames.BatchImage);
        services.AddImageBusMessaging(bus =>
        {
            bus.AddPostgresMessageScheduler();
            bus.AddSagaStateMachine<JobStateMachine, JobState>(typeof(JobStateDefinition))
                .PostgresRepository<JobState, JobsDbContext>();
            bus.AddSagaStateMachine<TenantSlotStateMachine, TenantSlots>(typeof(TenantSlotsDefinition))
                .PostgresRepository<TenantSlots, TenantSlotsDbContext>();
        });
        // Saga messages in the saga's transaction; the dispatcher sends what any instance left behind.
        services.AddTransactionalOutbox();
        services.AddSingleton<OverdueJobSweeper>();
        services.AddHostedService(provider => provider.GetRequiredService<OverdueJobSweeper>());
        services.AddHostedService<JobStateGauge>();
        return services;
    }
}
