using System.Data.Common;
using ImageBus.Messaging;
using ImageBus.Webhooks;
using MassTransit;

namespace ImageBus.Notifier.Webhooks;

/// <summary>Endpoint settings of <see cref="DeliverWebhookConsumer"/> (queue <c>deliver-webhook</c>).</summary>
public sealed class DeliverWebhookConsumerDefinition : ConsumerDefinition<DeliverWebhookConsumer>
{
    public DeliverWebhookConsumerDefinition()
    {
        EndpointName = DeliverWebhook.QueueName;
        // A POST mostly waits on the subscriber: many run at once, so slow endpoints (up to the timeout
        // each) only hold their own messages and never the deliveries to other endpoints.
        ConcurrentMessageLimit = 256;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<DeliverWebhookConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 256;
        // Failed POSTs are not exceptions (they are scheduled by the consumer); this covers the database.
        endpointConfigurator.UseMessageRetryThroughDatabaseOutages(r =>
        {
            r.Handle<DbException>();
            r.Intervals(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        });
    }
}
