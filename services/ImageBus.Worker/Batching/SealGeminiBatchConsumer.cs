using ImageBus.Batches;
using ImageBus.Gemini;
using ImageBus.Messaging;
using MassTransit;
using Microsoft.Extensions.Options;

namespace ImageBus.Worker.Batching;

/// <summary>Sends a sealed batch to Gemini exactly once, although Gemini's create is not idempotent: under the batch's lock,
/// the intent (<c>creating</c>) is recorded first and the batch is created under a display name made from its id; a
/// seal that finds the intent recorded already (its creator crashed, or lost Gemini's answer) lists Gemini's batches for
/// that name before creating. Gemini's name and the first poll are then recorded together. A create Gemini refuses
/// for good abandons the batch's images (the saga sends them live while their jobs' deadlines allow); one that fails
/// for now is tried again a poll interval later.</summary>
public sealed class SealGeminiBatchConsumer(
    GeminiBatchStore batches,
    BatchScheduling scheduling,
    BatchOutcomes outcomes,
    IGeminiBatchClient gemini,
    FaultInjection faults,
    IOptions<BatchingOptions> options,
    ILogger<SealGeminiBatchConsumer> logger) : IConsumer<SealGeminiBatch>
{
    public async Task Consume(ConsumeContext<SealGeminiBatch> context)
    {
        var batchId = context.Message.BatchId;
        var ct = context.CancellationToken;
        await using var held = await batches.LockAsync(batchId, ct);
        var batch = await batches.FindAsync(batchId, ct);
        if (batch is null || !BatchStates.AwaitsCreation(batch.State))
        {
            return;
        }

        var firstTry = await batches.BeginCreatingAsync(batchId, ct);
        var displayName = DisplayNameOf(batchId);
        var pending = await batches.PendingAsync(batchId, ct);
        if (pending.Count == 0)
        {
            // Every job in it was cancelled; a batch an earlier try may have made is cancelled at Gemini.
            if (!firstTry && (await gemini.ListBatchesAsync(ct)).FirstOrDefault(b => b.DisplayName == displayName) is { } made)
            {
                await gemini.CancelBatchAsync(made.Name, ct);
            }

            await batches.RecordEndedAsync(batchId, BatchStates.Cancelled, "every image in it was cancelled before it was sent", ct);
            return;
        }

        var requests = pending.Select(p => new GeminiBatchRequest(RequestKey(p.RequestId), p.Request)).ToList();
        GeminiBatch created;
        try
        {
            created = firstTry
                ? await gemini.CreateImageBatchAsync(batch.Model, displayName, requests, ct)
                : await gemini.CreateOnceAsync(batch.Model, displayName, requests, ct);
        }
        catch (GeminiException exception) when (exception.IsTransient)
        {
            logger.LogWarning("Gemini could not take batch {BatchId} ({ErrorCode}: {Error}); trying again in {Delay}",
                batchId, exception.ErrorCode, exception.Message, options.Value.PollInterval);
            await scheduling.InTransactionAsync(context, (_, scheduler) => scheduler.SealAsync(batchId, options.Value.PollInterval));
            return;
        }
        catch (GeminiException exception)
        {
            logger.LogError("Gemini refused batch {BatchId} ({ErrorCode}: {Error}); its {Images} images are abandoned",
                batchId, exception.ErrorCode, exception.Message, pending.Count);
            await outcomes.AbandonAsync(context, batchId, pending.Select(p => new BatchedImage(p.RequestId, p.Command)), BatchStates.Failed);
            await batches.RecordEndedAsync(batchId, BatchStates.Failed, $"{exception.ErrorCode}: {exception.Message}", ct);
            return;
        }

        faults.AfterBatchCreated(created.Name);
        await scheduling.InTransactionAsync(context, async (transaction, scheduler) =>
        {
            await GeminiBatchStore.RecordCreatedAsync(transaction, batchId, created.Name, StateOf(created.State), ct);
            await scheduler.PollAsync(batchId, options.Value.PollInterval);
        });
        logger.LogInformation("Gemini took batch {BatchId} as {BatchName} with {Images} images of {Model}", batchId, created.Name, requests.Count, batch.Model);
    }

    /// <summary>The display name Gemini keeps for the batch: how a restarted creator recognises it.</summary>
    public static string DisplayNameOf(Guid batchId) => $"imagebus-{batchId:D}";

    /// <summary>The key an image request goes under and its result comes back with.</summary>
    public static string RequestKey(Guid requestId) => requestId.ToString("D");

    /// <summary>Our name for a state Gemini reports while it works (a batch that has ended is followed by its poll too).</summary>
    public static string StateOf(GeminiBatchState state) => state switch
    {
        GeminiBatchState.Running => BatchStates.Running,
        GeminiBatchState.Succeeded => BatchStates.Succeeded,
        GeminiBatchState.Failed => BatchStates.Failed,
        GeminiBatchState.Cancelled => BatchStates.Cancelled,
        GeminiBatchState.Expired => BatchStates.Expired,
        _ => BatchStates.Pending,
    };
}
