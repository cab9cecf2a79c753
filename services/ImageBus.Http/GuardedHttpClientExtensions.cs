using ImageBus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ImageBus.Http;

public static class GuardedHttpClientExtensions
{
    /// <summary>A typed HttpClient for addresses that callers choose (webhooks, source images): every
    /// connection goes through <see cref="OutboundAddressGuard"/>, on the address actually connected to;
    /// no proxy (which would make the guard check the proxy), no redirects, DNS looked up again often.
    /// The client's own timeout is off: callers keep their own deadline.</summary>
    public static IHttpClientBuilder AddAddressGuardedHttpClient<TClient>(this IServiceCollection services)
        where TClient : class
    {
        if (!services.Any(d => d.ServiceType == typeof(OutboundAddressGuard)))
        {
            services.AddValidatedOptions<OutboundAddressOptions>(OutboundAddressOptions.Section);
            services.TryAddSingleton<OutboundAddressGuard>();
        }

        return services.AddHttpClient<TClient>(http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(provider => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseProxy = false,
                ConnectCallback = provider.GetRequiredService<OutboundAddressGuard>().ConnectAsync,
                PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            });
    }
}
