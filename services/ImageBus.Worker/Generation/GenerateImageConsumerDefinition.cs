using ImageBus.Gemini;
using ImageBus.Messaging;
using MassTransit;
using Microsoft.Extensions.Options;

namespace ImageBus.Worker.Generation;

/// <summary>Endpoint settings of <see cref="GenerateImageConsumer"/> (queue <c>generate-image</c>).</summary>
public sealed class GenerateImageConsumerDefinition : ConsumerDefinition<GenerateImageConsumer>
{
    public GenerateImageConsumerDefinition(IOptions<WorkerOptions> options)
    {
        EndpointName = QueueNames.GenerateImage;
        // Generating slots are the consumer's own (GenerationSlots); the rest of the limit is for images waiting for the budget.
        ConcurrentMessageLimit = options.Value.Concurrency + options.Value.MaxWaiting;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<GenerateImageConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = ConcurrentMessageLimit ?? 16;

        // Gemini's own failures are retried inside the consumer; this covers the rest (storage, the broker, and
        // the database the cancellation check and the shared Gemini budget need). After it the command faults,
        // and the saga records the image as failed.
        endpointConfigurator.UseMessageRetryThroughDatabaseOutages(r =>
        {
            r.Ignore<GeminiException>();
            r.Intervals(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        });
    }
}
