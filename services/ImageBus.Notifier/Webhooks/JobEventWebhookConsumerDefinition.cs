using System.Data.Common;
using ImageBus.Messaging;
using MassTransit;

namespace ImageBus.Notifier.Webhooks;

/// <summary>Endpoint settings of <see cref="JobEventWebhookConsumer"/> (queue <c>job-event-webhook</c>).</summary>
public sealed class JobEventWebhookConsumerDefinition : ConsumerDefinition<JobEventWebhookConsumer>
{
    public JobEventWebhookConsumerDefinition()
    {
        // Recording is a short transaction per event; events of one job queue up on an advisory lock.
        ConcurrentMessageLimit = 32;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<JobEventWebhookConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // Recording is idempotent, so a database hiccup is simply tried again.
        endpointConfigurator.UseMessageRetryThroughDatabaseOutages(r =>
        {
            r.Handle<DbException>();
            r.Intervals(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        });
    }
}
