using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ImageBus.Gemini;

/// <summary>DI wiring for the Gemini client.</summary>
public static class GeminiServiceCollectionExtensions
{
    /// <summary>Registers <see cref="GeminiOptions"/> (section <c>Gemini</c>, validated at start-up, key falling back
    /// to <c>GEMINI_API_KEY</c>), <see cref="IGeminiClient"/> as a typed HttpClient and <see cref="GeminiImageGenerator"/>.</summary>
    public static IServiceCollection AddGeminiClient(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GeminiOptions>()
            .Bind(configuration.GetSection(GeminiOptions.Section))
            .PostConfigure(o =>
            {
                if (string.IsNullOrWhiteSpace(o.ApiKey))
                {
                    o.ApiKey = Environment.GetEnvironmentVariable(GeminiOptions.ApiKeyVariable);
                }
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddHttpClient<IGeminiClient, GeminiClient>((sp, http) =>
        {
            var baseUrl = sp.GetRequiredService<IOptions<GeminiOptions>>().Value.BaseUrl;
            http.BaseAddress = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/");
            // The client enforces Gemini:CallTimeout itself; a second, shorter clock here would only confuse it.
            http.Timeout = Timeout.InfiniteTimeSpan;
        });
        services.TryAddSingleton<GeminiRetryDelay>(static (delay, ct) => Task.Delay(delay, ct));
        services.AddTransient<GeminiImageGenerator>();
        return services;
    }

    /// <summary>Fails host start-up with one clear line when the key or model is wrong (see <see cref="GeminiModelCheck"/>).</summary>
    public static IServiceCollection AddGeminiStartupCheck(this IServiceCollection services)
    {
        services.AddHostedService<GeminiStartupCheck>();
        return services;
    }
}
