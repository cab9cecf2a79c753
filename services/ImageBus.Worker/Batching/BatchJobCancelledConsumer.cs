using ImageBus.Batches;
using ImageBus.Contracts;
using ImageBus.Gemini;
using MassTransit;

namespace ImageBus.Worker.Batching;

/// <summary>A cancelled job's share of its batches (queue <c>batch-job-cancelled</c>): its waiting requests are marked
/// cancelled (a batch not yet sent leaves them out; a result that still comes is discarded), and a batch at Gemini that
/// no other job wants is cancelled there. A batch shared with other jobs keeps running.</summary>
public sealed class BatchJobCancelledConsumer(
    GeminiBatchStore batches,
    IGeminiBatchClient gemini,
    ILogger<BatchJobCancelledConsumer> logger) : IConsumer<JobCancelled>
{
    public async Task Consume(ConsumeContext<JobCancelled> context)
    {
        foreach (var emptied in await batches.CancelJobAsync(context.Message.Job.JobId, context.CancellationToken))
        {
            if (emptied.GeminiName is { } name)
            {
                logger.LogInformation("Cancelling batch {BatchId} ({BatchName}) at Gemini: job {JobId} was the last to want it",
                    emptied.BatchId, name, context.Message.Job.JobId);
                await gemini.CancelBatchAsync(name, context.CancellationToken);
            }
        }
    }
}
