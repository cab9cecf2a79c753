using ImageBus.ServiceDefaults.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ImageBus.ServiceDefaults.Webhooks;

public static class GuardedHttpClientExtensions
{
    /// <summary>A typed HttpClient for addresses that callers choose (webhooks, source images): every
    /// connection goes through <see cref="WebhookAddressGuard"/>, on the address actually connected to;
    /// no proxy (which would make the guard check the proxy), no redirects, DNS looked up again often.
    /// The client's own timeout is off: callers keep their own deadline.</summary>
    public static IHttpClientBuilder AddAddressGuardedHttpClient<TClient>(this IServiceCollection services)
        where TClient : class
    {
        if (!services.Any(d => d.ServiceType == typeof(WebhookAddressGuard)))
        {
            services.AddValidatedOptions<WebhookAddressOptions>(WebhookAddressOptions.Section);
            services.TryAddSingleton<WebhookAddressGuard>();
        }

        return services.AddHttpClient<TClient>(http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(provider => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseProxy = false,
                ConnectCallback = provider.GetRequiredService<WebhookAddressGuard>().ConnectAsync,
                PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            });
    }
}
