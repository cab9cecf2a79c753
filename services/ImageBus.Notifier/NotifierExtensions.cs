using ImageBus.Notifier.Webhooks;
using ImageBus.ServiceDefaults.Hosting;
using ImageBus.ServiceDefaults.Messaging;
using ImageBus.ServiceDefaults.Persistence;

namespace ImageBus.Notifier;

public static class NotifierExtensions
{
    public static IServiceCollection AddNotifier(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<WebhookOptions>(WebhookOptions.Section);
        // Redirects are not followed: a webhook answers where it was registered, or fails.
        services.AddHttpClient<WebhookSender>(http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        services.AddImageBusDatabase(configuration);
        services.AddImageBusMessaging(bus => bus.AddConsumer<JobEventWebhookConsumer>(typeof(JobEventWebhookConsumerDefinition)));
        return services;
    }
}
