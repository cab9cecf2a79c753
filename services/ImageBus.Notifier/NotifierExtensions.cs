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
        services.AddValidatedOptions<WebhookAddressOptions>(WebhookAddressOptions.Section);
        services.AddSingleton<WebhookAddressGuard>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient<WebhookPoster>(http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(provider => new SocketsHttpHandler
            {
                // A webhook answers where it was registered, or fails; every connection is checked by the guard
                // (no proxy, which would make the guard check the proxy instead); DNS is looked up again often.
                AllowAutoRedirect = false,
                UseProxy = false,
                ConnectCallback = provider.GetRequiredService<WebhookAddressGuard>().ConnectAsync,
                PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            });
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
