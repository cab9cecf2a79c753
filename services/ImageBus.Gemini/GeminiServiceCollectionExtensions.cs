using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImageBus.Gemini;

/// <summary>DI wiring for the Gemini client.</summary>
public static class GeminiServiceCollectionExtensions
{
    /// <summary>Registers <see cref="GeminiOptions"/> (section <c>Gemini</c>, validated at start-up, key falling back
    /// to <c>GEMINI_API_KEY</c>, <see cref="GeminiOptions.AllowedModels"/> to the current image models),
    /// <see cref="IGeminiClient"/> and <see cref="IGeminiBatchClient"/> as typed HttpClients, <see cref="GeminiImageGenerator"/> and
    /// <see cref="GeminiImageAnalyzer"/> on <see cref="GeminiRetryPipeline"/>, and <see cref="GeminiCostEstimator"/>. Register an
    /// <see cref="IGeminiRateLimiter"/> first to put calls on a budget; the retry waits run on the registered
    /// <see cref="TimeProvider"/> (<see cref="TimeProvider.System"/> unless one is registered).</summary>
    public static IServiceCollection AddGeminiClient(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddGeminiModelOptions(configuration)
            .PostConfigure(o =>
            {
                if (string.IsNullOrWhiteSpace(o.ApiKey))
                {
                    o.ApiKey = Environment.GetEnvironmentVariable(GeminiOptions.ApiKeyVariable);
                }
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddHttpClient<IGeminiClient, GeminiClient>(ConfigureHttp);
        services.AddHttpClient<IGeminiBatchClient, GeminiClient>(ConfigureHttp);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<GeminiRetryPipeline>();
        services.TryAddSingleton<IGeminiRateLimiter, UnlimitedGeminiRate>();
        services.AddSingleton<GeminiCostEstimator>();
        services.AddTransient<GeminiImageGenerator>();
        services.AddTransient<GeminiImageAnalyzer>();
        return services;
    }

    private static void ConfigureHttp(IServiceProvider services, HttpClient http)
    {
        var baseUrl = services.GetRequiredService<IOptions<GeminiOptions>>().Value.BaseUrl;
        http.BaseAddress = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/");
        // The client enforces Gemini:CallTimeout itself; a second, shorter clock here would only confuse it.
        http.Timeout = Timeout.InfiniteTimeSpan;
    }

    /// <summary>Binds <see cref="GeminiOptions"/> from section <c>Gemini</c> with <see cref="GeminiOptions.AllowedModels"/>
    /// defaulting to the current image models, unvalidated: for services that only need to know which models jobs may ask
    /// for (the gateway and the orchestrator check submissions against the same settings the workers call with) and
    /// never call Gemini, so need no key.</summary>
    public static OptionsBuilder<GeminiOptions> AddGeminiModelOptions(this IServiceCollection services, IConfiguration configuration) =>
        services.AddOptions<GeminiOptions>()
            .Bind(configuration.GetSection(GeminiOptions.Section))
            .PostConfigure(o =>
            {
                if (o.AllowedModels.Count == 0)
                {
                    o.AllowedModels.AddRange(GeminiImageModels.CurrentIds);
                }
            });

    /// <summary>Runs <see cref="GeminiModelCheck"/> with the registered client and options; call it before the host
    /// starts, so a wrong key or model stops the service before it takes any work.</summary>
    /// <exception cref="GeminiConfigurationException">The key or model is unusable; the message is the one line to show.</exception>
    /// <exception cref="OptionsValidationException">The <c>Gemini</c> section is invalid.</exception>
    public static Task EnsureGeminiUsableAsync(this IServiceProvider services, CancellationToken ct) =>
        GeminiModelCheck.EnsureUsableAsync(
            services.GetRequiredService<IGeminiClient>(),
            services.GetRequiredService<IOptions<GeminiOptions>>().Value,
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GeminiModelCheck).FullName!),
            ct);
}
