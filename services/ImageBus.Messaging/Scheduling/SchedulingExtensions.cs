using ImageBus.Persistence;
using ImageBus.ServiceDefaults;
using MassTransit;
using MassTransit.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace ImageBus.Messaging.Scheduling;

/// <summary>
/// The durable message scheduler on PostgreSQL (table <c>scheduled_messages</c>), in two parts:
/// <list type="bullet">
/// <item><see cref="AddPostgresMessageScheduler"/>, in every service that schedules (orchestrator: the
/// state machine's <c>Schedule</c>/<c>Unschedule</c>; notifier: <c>context.ScheduleSend</c> or
/// <see cref="IMessageScheduler"/> for webhook retries).</item>
/// <item><see cref="AddScheduledMessageDispatcher"/>, in every service that schedules, so that each one's
/// messages go out even when the others are down; any number of instances share the table.</item>
/// </list>
/// Either one registers the table, created at start-up by ImageBus.Persistence's schema runner.
/// </summary>
public static class SchedulingExtensions
{
    /// <summary>Call inside the <c>AddImageBusMessaging</c> callback: gives every endpoint's consumers and
    /// sagas the PostgreSQL scheduler, and registers <see cref="IMessageScheduler"/> for code outside a consumer.</summary>
    public static IBusRegistrationConfigurator AddPostgresMessageScheduler(this IBusRegistrationConfigurator bus)
    {
        bus.AddScheduledMessageStore();
        bus.TryAddSingleton<IMessageScheduler>(provider => new MessageScheduler(
            new PostgresScheduleMessageProvider(provider.GetRequiredService<ScheduledMessageStore>(), scheduledFrom: null),
            provider.GetRequiredService<IBus>().Topology));
        bus.AddConfigureEndpointsCallback((context, _, endpoint) =>
            endpoint.UseFilter(new MessageSchedulerContextFilter(context.GetRequiredService<ScheduledMessageStore>(), context)));
        return bus;
    }

    /// <summary>Runs the dispatcher that sends due scheduled messages, with options from section
    /// <c>Scheduling</c>. Register it after <c>AddImageBusMessaging</c>, so it starts once the bus has.</summary>
    public static IServiceCollection AddScheduledMessageDispatcher(this IServiceCollection services)
    {
        services.AddValidatedOptions<ScheduledMessageDispatcherOptions>(ScheduledMessageDispatcherOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.AddScheduledMessageStore();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ScheduledMessageDispatcher>());
        return services;
    }

    internal static void AddScheduledMessageStore(this IServiceCollection services)
    {
        services.AddOwnedTables(OwnedSchema.Of<ScheduledMessageStore>());
        services.TryAddSingleton<ScheduledMessageStore>();
        services.TryAddSingleton<StoredMessageSender>();
    }
}
