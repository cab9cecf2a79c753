using ImageBus.Gemini;
using ImageBus.Imaging;
using ImageBus.ServiceDefaults;
using ImageBus.Messaging;
using ImageBus.Jobs;
using ImageBus.Persistence;
using ImageBus.Storage;
using ImageBus.Http;
using ImageBus.Batches;
using ImageBus.Messaging.Outbox;
using ImageBus.Messaging.Scheduling;
using ImageBus.Worker.Batching;
using ImageBus.Worker.Generation;
using ImageBus.Worker.Throttling;
using MassTransit;
using Npgsql;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ImageBus.Worker;

public static class WorkerExtensions
{
    /// <summary>Time for the bus to return what it holds and close after the grace, and for the host to stop the rest.</summary>
    static readonly TimeSpan StopMargin = TimeSpan.FromSeconds(10);

    /// <summary>The worker service: <see cref="AddImageGeneration"/> on the RabbitMQ bus.</summary>
    public static IServiceCollection AddWorker(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddImageGeneration(configuration);
        services.AddGeminiBatching();
        services.AddImageBusMessaging(bus =>
        {
            bus.AddConsumer<GenerateImageConsumer>(typeof(GenerateImageConsumerDefinition));
            bus.AddPostgresMessageScheduler();
            bus.AddConsumer<BatchImageConsumer>(typeof(BatchImageConsumerDefinition));
            bus.AddConsumer<SealGeminiBatchConsumer>(typeof(SealGeminiBatchConsumerDefinition));
            bus.AddConsumer<PollGeminiBatchConsumer>(typeof(PollGeminiBatchConsumerDefinition));
            bus.AddConsumer<BatchJobCancelledConsumer>(typeof(BatchJobCancelledConsumerDefinition));
        });
        // Seals and polls of batches go out even while the orchestrator and the notifier are down.
        services.AddScheduledMessageDispatcher();
        // Calls per minute against the budget, for system health.
        services.AddGeminiCallLedger(provider => new GeminiBudgetSetting(
            GeminiBudget.RequestsLimiter(provider.GetRequiredService<IOptions<GeminiOptions>>().Value.Model),
            provider.GetRequiredService<IOptions<WorkerOptions>>().Value.RequestsPerMinute));
        // Graceful shutdown: the bus stops taking commands (prefetched ones go back to the queue), images in flight get
        // ShutdownGrace to finish, then their consume contexts are cancelled and their commands return to the queue too.
        services.AddOptions<MassTransitHostOptions>().Configure<IOptions<WorkerOptions>>((host, worker) =>
        {
            host.ConsumerStopTimeout = worker.Value.ShutdownGrace;
            host.StopTimeout = worker.Value.ShutdownGrace + StopMargin;
        });
        services.AddOptions<HostOptions>().Configure<IOptions<WorkerOptions>>((host, worker) =>
            host.ShutdownTimeout = worker.Value.ShutdownGrace + StopMargin + StopMargin);
        return services;
    }

    /// <summary>Everything <see cref="GenerateImageConsumer"/> needs, without a bus (tests put it on the test harness):
    /// options, PostgreSQL (cancellations, the shared Gemini budget), the blob store, libvips, the Gemini client.</summary>
    public static IServiceCollection AddImageGeneration(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<WorkerOptions>(WorkerOptions.Section);
        services.AddValidatedOptions<PromptOptions>(PromptOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.AddJobStore();
        services.AddOwnedTables(OwnedSchema.Of<SharedRateLimiter>());
        services.AddSingleton<PromptBuilder>();
        services.AddSingleton<ImageRequestBuilder>();
        services.AddSingleton<ImageResults>();
        services.AddSingleton<JobCancellationCheck>();
        services.AddSingleton<ImageAttemptClaims>();
        services.AddSingleton<ResultPublisher>();
        services.AddSingleton<GenerationLifetime>();
        // Source image URLs come from tenants: the same outbound address guard as webhooks (OutboundAddresses:AllowedHosts).
        services.AddAddressGuardedHttpClient<SourceImageFetcher>();
        services.AddBlobStore();
        services.AddImageProcessing(configuration);
        // Registered before the Gemini client, which falls back to no budget only when none is registered.
        services.AddSingleton<SharedRateLimiter>();
        services.AddSingleton<GenerationSlots>();
        services.AddSingleton<IGeminiRateLimiter, GeminiBudget>();
        services.AddGeminiClient(configuration);
        return services;
    }

    /// <summary>Batch mode: the batch tables (ImageBus.Batches), the transaction that records a batch with its seal or poll,
    /// and the crash point after a batch create (tests only).</summary>
    static IServiceCollection AddGeminiBatching(this IServiceCollection services)
    {
        services.AddGeminiBatches();
        services.AddSingleton<BatchScheduling>();
        services.AddSingleton<BatchOutcomes>();
        services.AddFaultInjection();
        return services;
    }
}
