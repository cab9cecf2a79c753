using ImageBus.Gemini;
using ImageBus.Imaging;
using ImageBus.ServiceDefaults.Hosting;
using ImageBus.ServiceDefaults.Messaging;
using ImageBus.ServiceDefaults.Storage;
using ImageBus.Worker.Generation;

namespace ImageBus.Worker;

public static class WorkerExtensions
{
    public static IServiceCollection AddWorker(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<WorkerOptions>(WorkerOptions.Section);
        services.AddValidatedOptions<PromptOptions>(PromptOptions.Section);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<PromptBuilder>();
        services.AddBlobStore();
        services.AddImageProcessing(configuration);
        services.AddGeminiClient(configuration);
        // Before the bus: a worker that cannot reach its model must not take commands off the queue.
        services.AddGeminiStartupCheck();
        services.AddImageBusMessaging(bus => bus.AddConsumer<GenerateImageConsumer>(typeof(GenerateImageConsumerDefinition)));
        return services;
    }
}
