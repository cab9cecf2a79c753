using ImageBus.Batches;
using ImageBus.Contracts;
using ImageBus.Gemini;
using ImageBus.Imaging;
using ImageBus.Worker.Generation;
using MassTransit;

namespace ImageBus.Worker.Batching;

/// <summary>What becomes of a batched image once its batch has an answer for it, reported like a live image's: its result
/// stored and priced at the batch price (<see cref="ImageGenerated"/>), its own failure (<see cref="ImageGenerationFailed"/>),
/// or no result at all (<see cref="BatchImageAbandoned"/>). Each is published before the request is marked done, so a poll
/// that crashes half-way reports the rest on its redelivery and at worst one twice (which the saga ignores).</summary>
public sealed class BatchOutcomes(
    GeminiBatchStore batches,
    ImageResults results,
    ImageRequestBuilder requests,
    TimeProvider clock)
{
    /// <summary>Gemini billed one call for a batched request that returned anything, an image or a refusal with HTTP 200's meaning.</summary>
    const int BatchedCall = 1;

    public async Task DeliverAsync(ConsumeContext context, BatchedImage image, GeminiBatchResult result)
    {
        var command = image.Command;
        if (result.Image is { } generated)
        {
            EncodedImage rendered;
            try
            {
                rendered = results.Render(command, generated);
            }
            catch (ImageProcessingException exception)
            {
                await FailAsync(context, image, WorkerErrorCodes.InvalidImage, exception.Message, billedCalls: BatchedCall);
                return;
            }

            var stored = await results.StoreAsync(command, rendered, generated, requests.ImageSizeOf(command), imagesBilled: 1, generated.Usage,
                analysis: null, billedCalls: BatchedCall, batched: true, context.CancellationToken);
            WorkerMetrics.ImageDone(context, "completed");
            await context.Publish(stored);
            await batches.RecordRequestAsync(image.RequestId, BatchRequestStates.Completed, context.CancellationToken);
            return;
        }

        var error = result.Error ?? new GeminiException(GeminiErrorCodes.NoImage, "Gemini's batch answered the request with nothing.", isTransient: false);
        await FailAsync(context, image, error.ErrorCode, error.Message, error.IsBilled ? BatchedCall : 0);
    }

    async Task FailAsync(ConsumeContext context, BatchedImage image, string code, string message, int billedCalls)
    {
        WorkerMetrics.ImageDone(context, code);
        // A request's failure inside a batch is final for that attempt: a retry of the job sends the image again.
        await context.Publish(results.Failure(image.Command, code, message, transient: false, calls: 1, billedCalls));
        await batches.RecordRequestAsync(image.RequestId, BatchRequestStates.Failed, context.CancellationToken);
    }

    /// <summary>Marks the images abandoned and tells their jobs, which send them live while their deadlines allow.</summary>
    public async Task AbandonAsync(ConsumeContext context, Guid batchId, IEnumerable<BatchedImage> images, string batchState)
    {
        foreach (var image in images)
        {
            var command = image.Command;
            await context.Publish(new BatchImageAbandoned(command.JobId, command.Item.ItemId, command.Attempt, batchId, batchState, clock.GetUtcNow()));
            await batches.RecordRequestAsync(image.RequestId, BatchRequestStates.Abandoned, context.CancellationToken);
        }
    }
}
