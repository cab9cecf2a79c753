using ImageBus.Messaging;
using MassTransit;

namespace ImageBus.Worker.Batching;

/// <summary>Endpoint settings the batch consumers share: each step is safe to try again (packing finds a redelivered image's
/// row, creating starts from the recorded intent under the batch's lock, a poll marks what it reported, cancelling is
/// idempotent), so any failure is retried a few times before the message faults to its <c>_error</c> queue.</summary>
public abstract class BatchConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    protected BatchConsumerDefinition(string endpointName, int concurrency)
    {
        EndpointName = endpointName;
        ConcurrentMessageLimit = concurrency;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseMessageRetryThroughDatabaseOutages(r =>
            r.Intervals(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15)));
}

/// <summary>Queue <c>batch-image</c>: packing is a short transaction per image.</summary>
public sealed class BatchImageConsumerDefinition() : BatchConsumerDefinition<BatchImageConsumer>(QueueNames.BatchImage, 8);

/// <summary>Queue <c>seal-gemini-batch</c>: a few creates at a time, each holding its batch's lock.</summary>
public sealed class SealGeminiBatchConsumerDefinition() : BatchConsumerDefinition<SealGeminiBatchConsumer>(BatchEndpoints.Seal, 4);

/// <summary>Queue <c>poll-gemini-batch</c>: a poll that finds results stores every image of the batch.</summary>
public sealed class PollGeminiBatchConsumerDefinition() : BatchConsumerDefinition<PollGeminiBatchConsumer>(BatchEndpoints.Poll, 4);

/// <summary>Queue <c>batch-job-cancelled</c>, subscribed to <see cref="ImageBus.Contracts.JobCancelled"/>.</summary>
public sealed class BatchJobCancelledConsumerDefinition() : BatchConsumerDefinition<BatchJobCancelledConsumer>(BatchEndpoints.JobCancelled, 8);
