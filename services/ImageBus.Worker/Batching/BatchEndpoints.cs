namespace ImageBus.Worker.Batching;

/// <summary>The worker's own batch queues (<c>batch-image</c>, which the orchestrator sends to, is in
/// <see cref="ImageBus.Messaging.QueueNames"/>).</summary>
public static class BatchEndpoints
{
    /// <summary>Seals sent by the durable scheduler: a batch's wait is up, or it is full.</summary>
    public const string Seal = "seal-gemini-batch";

    /// <summary>Polls sent by the durable scheduler while Gemini works on a batch.</summary>
    public const string Poll = "poll-gemini-batch";

    /// <summary>Subscribed to <see cref="ImageBus.Contracts.JobCancelled"/>: a cancelled job's share of its batches.</summary>
    public const string JobCancelled = "batch-job-cancelled";
}
