using MassTransit;

namespace ImageBus.Notifier.Webhooks;

/// <summary>Endpoint settings of <see cref="JobEventWebhookConsumer"/> (queue <c>job-event-webhook</c>).</summary>
public sealed class JobEventWebhookConsumerDefinition : ConsumerDefinition<JobEventWebhookConsumer>
{
    public JobEventWebhookConsumerDefinition()
    {
        // One slow subscriber must not hold every delivery: many POSTs may wait at once.
        ConcurrentMessageLimit = 32;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<JobEventWebhookConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // A failed delivery is tried again a few times; after that the event lands in the
        // job-event-webhook_error queue with the reason in its fault headers.
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Handle<WebhookDeliveryException>();
            r.Intervals(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15));
        });
    }
}
