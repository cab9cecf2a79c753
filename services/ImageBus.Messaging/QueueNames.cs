namespace ImageBus.Messaging;

/// <summary>Queues one service sends commands to and another consumes, named once here. Senders
/// address the queue's exchange; see <see cref="CommandQueueTopology"/>.</summary>
public static class QueueNames
{
    public const string GenerateImage = "generate-image";

    public static Uri GenerateImageAddress { get; } = new($"exchange:{GenerateImage}");

    /// <summary>Images of batch-mode jobs, packed into Gemini batches by the worker.</summary>
    public const string BatchImage = "batch-image";

    public static Uri BatchImageAddress { get; } = new($"exchange:{BatchImage}");
}
