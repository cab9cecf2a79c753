using ImageBus.Messaging.Scheduling;
using MassTransit;
using MassTransit.Context;
using MassTransit.Middleware.Outbox;
using MassTransit.Scheduling;

namespace ImageBus.Messaging.Outbox;

/// <summary>The consume context a saga sees while its repository's transaction is open: every send and publish goes
/// into <paramref name="outbox"/> (MassTransit's <see cref="OutboxReceiveContext"/> swaps the endpoint providers), and
/// every schedule and unschedule into the same transaction (a scheduler of its own, found before the endpoint's).</summary>
sealed class OutboxConsumeContext<TMessage> : ConsumeContextScope<TMessage>
    where TMessage : class
{
    public OutboxConsumeContext(ConsumeContext<TMessage> context, TransactionalOutbox outbox)
        : base(context, SchedulerOn(context, outbox))
    {
        var receive = new OutboxReceiveContext(outbox, context.ReceiveContext);
        ReceiveContext = receive;
        PublishEndpointProvider = receive.PublishEndpointProvider;
    }

    static ConsumeMessageSchedulerContext SchedulerOn(ConsumeContext context, TransactionalOutbox outbox) =>
        new ConsumeMessageSchedulerContext(context, consumeContext => new MessageScheduler(
            new PostgresScheduleMessageProvider(outbox.Owner.Store, consumeContext, outbox.Transaction), outbox.Owner.Bus.Topology));
}
