using ImageBus.Batches;
using ImageBus.Contracts;
using ImageBus.Worker.Generation;
using MassTransit;
using Microsoft.Extensions.Options;

namespace ImageBus.Worker.Batching;

/// <summary>Puts one image of a batch-mode job into the open Gemini batch of its model (queue <c>batch-image</c>): the
/// request is built as a live one would be (prompt, ratio, size, source image) and recorded with its batch, in one
/// transaction with the batch's seal (<see cref="BatchingOptions.MaxWait"/> after the batch opened, or now when it is full).
/// Its result comes from <see cref="PollGeminiBatchConsumer"/>. A cancelled job or an unusable source image fails the image
/// at once, as for a live one.</summary>
public sealed class BatchImageConsumer(
    GeminiBatchStore batches,
    BatchScheduling scheduling,
    ImageRequestBuilder requests,
    PromptBuilder prompts,
    SourceImageFetcher sourceImages,
    JobCancellationCheck cancellations,
    ImageResults results,
    IOptions<BatchingOptions> options,
    ILogger<BatchImageConsumer> logger) : IConsumer<GenerateImage>
{
    public async Task Consume(ConsumeContext<GenerateImage> context)
    {
        var command = context.Message;
        if (await cancellations.IsCancelledAsync(command.JobId, context.CancellationToken))
        {
            await Fail(context, WorkerErrorCodes.Cancelled, "The job was cancelled before this image was batched.", transient: false);
            return;
        }

        SourceImage? source;
        try
        {
            source = await sourceImages.FetchAsync(command.Item, context.CancellationToken);
        }
        catch (SourceImageException exception)
        {
            await Fail(context, exception.Code, exception.Message, exception.IsTransient);
            return;
        }

        var model = requests.ModelOf(command);
        var request = requests.Build(command, prompts.Build(command.Item), source);
        BatchEnqueueResult? enqueued = null;
        await scheduling.InTransactionAsync(context, async (transaction, scheduler) =>
        {
            enqueued = await batches.EnqueueAsync(transaction, command, model, request, context.CancellationToken);
            if (enqueued is null)
            {
                return;
            }

            if (enqueued.Opened && !enqueued.SealNow.Contains(enqueued.BatchId))
            {
                await scheduler.SealAsync(enqueued.BatchId, options.Value.MaxWait);
            }

            foreach (var full in enqueued.SealNow)
            {
                await scheduler.SealAsync(full, TimeSpan.Zero);
            }
        });

        if (enqueued is null)
        {
            logger.LogInformation("{ItemId} of job {JobId} (attempt {Attempt}) is in a batch already", command.Item.ItemId, command.JobId, command.Attempt);
            return;
        }

        logger.LogInformation("Batched {ItemId} of job {JobId} (attempt {Attempt}) into batch {BatchId} of {Model}",
            command.Item.ItemId, command.JobId, command.Attempt, enqueued.BatchId, model);
    }

    Task Fail(ConsumeContext<GenerateImage> context, string code, string message, bool transient)
    {
        WorkerMetrics.ImageDone(context, code);
        return context.Publish(results.Failure(context.Message, code, message, transient, calls: 0, billedCalls: 0));
    }
}
