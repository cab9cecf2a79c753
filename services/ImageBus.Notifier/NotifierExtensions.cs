using ImageBus.Notifier.Webhooks;
using ImageBus.ServiceDefaults.Hosting;
using ImageBus.ServiceDefaults.Messaging;
using ImageBus.ServiceDefaults.Persistence;
using ImageBus.ServiceDefaults.Scheduling;
using ImageBus.ServiceDefaults.Webhooks;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ImageBus.Notifier;

public static class NotifierExtensions
{
    public static IServiceCollection AddNotifier(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddWebhookDelivery(configuration);
        services.AddCommandQueue(DeliverWebhook.QueueName);
        services.AddImageBusMessaging(bus =>
        {
            // Retries are scheduled durably in PostgreSQL; the orchestrator's dispatcher sends them when due.
            bus.AddPostgresMessageScheduler();
            bus.AddWebhookConsumers();
        });
        return services;
    }

    /// <summary>Everything but the bus, so tests can run the consumers on MassTransit's test harness.</summary>
    public static IServiceCollection AddWebhookDelivery(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<WebhookDeliveryOptions>(WebhookDeliveryOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        // Webhook URLs are chosen by tenants: every connection is checked against the address guard.
        services.AddAddressGuardedHttpClient<WebhookPoster>();
        services.AddImageBusDatabase(configuration);
        services.AddSingleton<JobEventRecorder>();
        services.AddSingleton<WebhookDeliveryStore>();
        return services;
    }

    public static void AddWebhookConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<JobEventWebhookConsumer>(typeof(JobEventWebhookConsumerDefinition));
        bus.AddConsumer<DeliverWebhookConsumer>(typeof(DeliverWebhookConsumerDefinition));
    }
}
