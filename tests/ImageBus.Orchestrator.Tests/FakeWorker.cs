using ImageBus.Contracts;
using MassTransit;

namespace ImageBus.Orchestrator.Tests;

/// <summary>Stands in for the worker on <c>generate-image</c>: stores every image except
/// <see cref="BrokenItemId"/>, on which it throws, so MassTransit publishes a real <see cref="Fault{T}"/>.</summary>
public sealed class FakeWorker : IConsumer<GenerateImage>
{
    public const string BrokenItemId = "evidence-03";
    public const string BrokenMessage = "the image model is unreachable";

    public Task Consume(ConsumeContext<GenerateImage> context)
    {
        var command = context.Message;
        return command.Item.ItemId == BrokenItemId
            ? throw new InvalidOperationException(BrokenMessage)
            : context.Publish(Cases.Generated(command.JobId, command.Item.ItemId, command.Attempt));
    }
}
