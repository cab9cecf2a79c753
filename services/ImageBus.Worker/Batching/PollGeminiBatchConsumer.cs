using ImageBus.Batches;
using ImageBus.Gemini;
using MassTransit;
using Microsoft.Extensions.Options;

namespace ImageBus.Worker.Batching;

/// <summary>Follows a batch at Gemini, one look per <see cref="PollGeminiBatch"/> from the durable scheduler (never a loop in
/// memory), under the batch's lock. While it runs: its state is recorded with the next poll, and a batch no job wants
/// any more (all cancelled) is cancelled at Gemini. Once it succeeded: each waiting image gets its result by key (a
/// cancelled one's is discarded; one without a result is abandoned). Failed, expired or cancelled: its waiting images
/// are abandoned, for their jobs to send live.</summary>
public sealed class PollGeminiBatchConsumer(
    GeminiBatchStore batches,
    BatchScheduling scheduling,
    BatchOutcomes outcomes,
    IGeminiBatchClient gemini,
    IOptions<BatchingOptions> options,
    ILogger<PollGeminiBatchConsumer> logger) : IConsumer<PollGeminiBatch>
{
    public async Task Consume(ConsumeContext<PollGeminiBatch> context)
    {
        var batchId = context.Message.BatchId;
        var ct = context.CancellationToken;
        await using var held = await batches.LockAsync(batchId, ct);
        if (await batches.FindAsync(batchId, ct) is not { GeminiName: { } name } batch || BatchStates.AwaitsCreation(batch.State))
        {
            return;
        }

        // An ended batch is looked at again only if reporting its images was cut short.
        var waiting = await batches.QueuedAsync(batchId, ct);
        if (batch.Ended && waiting.Count == 0)
        {
            return;
        }

        GeminiBatch remote;
        try
        {
            remote = await gemini.GetBatchAsync(name, ct);
        }
        catch (GeminiException exception) when (exception.IsTransient)
        {
            logger.LogWarning("Could not ask Gemini about batch {BatchId} ({ErrorCode}); asking again in {Delay}", batchId, exception.ErrorCode, options.Value.PollInterval);
            await scheduling.InTransactionAsync(context, (_, scheduler) => scheduler.PollAsync(batchId, options.Value.PollInterval));
            return;
        }
        catch (GeminiException exception)
        {
            // Gone (or never ours to read): nothing will come of it.
            await batches.RecordEndedAsync(batchId, BatchStates.Failed, $"{exception.ErrorCode}: {exception.Message}", ct);
            await outcomes.AbandonAsync(context, batchId, waiting, BatchStates.Failed);
            return;
        }

        if (!remote.HasEnded)
        {
            if (waiting.Count == 0)
            {
                logger.LogInformation("Batch {BatchId} ({BatchName}) is wanted by no job any more; cancelling it at Gemini", batchId, name);
                await gemini.CancelBatchAsync(name, ct);
            }

            await scheduling.InTransactionAsync(context, async (transaction, scheduler) =>
            {
                await GeminiBatchStore.RecordStateAsync(transaction, batchId, SealGeminiBatchConsumer.StateOf(remote.State), ct);
                await scheduler.PollAsync(batchId, options.Value.PollInterval);
            });
            return;
        }

        var state = SealGeminiBatchConsumer.StateOf(remote.State);
        await batches.RecordEndedAsync(batchId, state, remote.Error, ct);
        if (remote.State == GeminiBatchState.Succeeded)
        {
            var byKey = remote.Results.ToDictionary(r => r.Key);
            var missing = new List<BatchedImage>();
            foreach (var image in waiting)
            {
                if (byKey.TryGetValue(SealGeminiBatchConsumer.RequestKey(image.RequestId), out var result))
                {
                    await outcomes.DeliverAsync(context, image, result);
                }
                else
                {
                    missing.Add(image);
                }
            }

            await outcomes.AbandonAsync(context, batchId, missing, state);
        }
        else
        {
            await outcomes.AbandonAsync(context, batchId, waiting, state);
        }

        logger.LogInformation("Batch {BatchId} ({BatchName}) ended {State}: {Results} results for {Waiting} waiting images",
            batchId, name, state, remote.Results.Count, waiting.Count);
    }
}
