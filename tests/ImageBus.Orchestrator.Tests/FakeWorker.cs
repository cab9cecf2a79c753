using ImageBus.Contracts;
using MassTransit;

namespace ImageBus.Orchestrator.Tests;

/// <summary>Stands in for the worker on <c>generate-image</c>: stores every image except
/// <see cref="BrokenItemId"/>, on which it throws, so MassTransit publishes a real <see cref="Fault{T}"/>.</summary>
public sealed class FakeWorker : IConsumer<GenerateImage>
{
    public const string BrokenItemId = "evidence-03";
    /// <summary>As a file system says it: with an internal path, which must never reach the tenant.</summary>
    public const string BrokenMessage = "The path '/var/lib/imagebus/blobs/tenant/job/evidence-03/attempt-1/image.webp' is too long.";

    public Task Consume(ConsumeContext<GenerateImage> context)
    {
        var command = context.Message;
        return command.Item.ItemId == BrokenItemId
            ? throw new PathTooLongException(BrokenMessage)
            : context.Publish(Cases.Generated(command.JobId, command.Item.ItemId, command.Attempt));
    }
}
