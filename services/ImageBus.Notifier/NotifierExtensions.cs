using ImageBus.Notifier.Webhooks;
using ImageBus.ServiceDefaults;
using ImageBus.Messaging;
using ImageBus.Messaging.Scheduling;
using ImageBus.Http;
using ImageBus.Tenants;
using ImageBus.Webhooks;
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
            // Retries are scheduled durably in PostgreSQL ...
            bus.AddPostgresMessageScheduler();
            bus.AddWebhookConsumers();
        });
        // ... and sent when due by the notifier's own dispatcher too, so they go out while no orchestrator runs.
        services.AddScheduledMessageDispatcher();
        return services;
    }

    /// <summary>Everything but the bus, so tests can run the consumers on MassTransit's test harness.</summary>
    public static IServiceCollection AddWebhookDelivery(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<WebhookDeliveryOptions>(WebhookDeliveryOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        // Webhook URLs are chosen by tenants: every connection is checked against the address guard.
        services.AddAddressGuardedHttpClient<WebhookPoster>();
        services.AddWebhookStore();
        // Payloads carry image links signed like the gateway's, on the same key.
        services.AddSignedImageUrls();
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
