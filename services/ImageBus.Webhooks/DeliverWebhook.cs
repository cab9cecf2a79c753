namespace ImageBus.Webhooks;

/// <summary>Asks a notifier to POST one delivery now, if its turn has come. Sent by the notifier when it
/// creates deliveries, when an earlier delivery of the same endpoint and job ends, for retries, and by
/// the gateway when a delivery is re-queued. Duplicates are harmless: a delivery is claimed before it is sent.</summary>
public sealed record DeliverWebhook(Guid DeliveryId)
{
    public const string QueueName = "deliver-webhook";

    /// <summary>The command queue's exchange; see <c>CommandQueueTopology</c>.</summary>
    public static Uri Address { get; } = new($"exchange:{QueueName}");
}
