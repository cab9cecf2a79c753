using MassTransit;
using MassTransit.Context;
using MassTransit.Scheduling;
using Microsoft.Extensions.DependencyInjection;

namespace ImageBus.Messaging.Scheduling;

/// <summary>Gives every consumed message the scheduler a state machine's <c>Schedule</c>/<c>Unschedule</c>
/// and a consumer's <c>context.ScheduleSend</c> look for (the <see cref="MessageSchedulerContext"/> payload),
/// backed by <see cref="PostgresScheduleMessageProvider"/>. The bus is looked up at the first message: the
/// filter is built while the bus itself is being configured.</summary>
sealed class MessageSchedulerContextFilter(ScheduledMessageStore store, IServiceProvider services) : IFilter<ConsumeContext>
{
    readonly Lazy<IBus> bus = new(services.GetRequiredService<IBus>);

    public Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        context.GetOrAddPayload<MessageSchedulerContext>(() => new ConsumeMessageSchedulerContext(context, CreateScheduler));
        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("postgresMessageScheduler");

    MessageScheduler CreateScheduler(ConsumeContext context) =>
        new MessageScheduler(new PostgresScheduleMessageProvider(store, context), bus.Value.Topology);
}
