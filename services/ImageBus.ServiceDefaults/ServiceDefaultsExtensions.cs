using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace ImageBus.ServiceDefaults;

/// <summary>Start-up wiring every ImageBus host shares.</summary>
public static class ServiceDefaultsExtensions
{
    const string TextTemplate =
        "{Timestamp:HH:mm:ss.fff} {Level:u3} {SourceContext}{JobScope}: {Message:lj}{NewLine}{Exception}";

    /// <summary>Serilog logging (see <see cref="ConfigureLogging"/>), telemetry and health checks (see <see cref="Telemetry"/>),
    /// and a service provider that refuses, at start-up, a singleton that holds a scoped service or a registration it cannot build.</summary>
    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSerilog((_, logger) => ConfigureLogging(logger, builder.Configuration, builder.Environment.ApplicationName));
        builder.AddTelemetry();
        builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions
        {
            ValidateScopes = true,
            ValidateOnBuild = true,
        }));
        return builder;
    }

    /// <summary>Readable one-line console text locally, compact JSON (CLEF) when <c>Logging:Format</c> is
    /// <c>json</c> (for log shippers); levels from <c>Logging:LogLevel</c>. Every line carries what its log context holds: <c>JobId</c>, <c>TenantId</c> and
    /// <c>CorrelationId</c> while a job's message or request is handled (pushed by the bus's consume filter and
    /// the gateway's request middleware).</summary>
    public static LoggerConfiguration ConfigureLogging(LoggerConfiguration logger, IConfiguration configuration, string service)
    {
        var levels = configuration.GetSection("Logging:LogLevel");
        logger.MinimumLevel.Is(Level(levels["Default"]) ?? LogEventLevel.Information);
        foreach (var category in levels.GetChildren().Where(c => c.Key != "Default"))
        {
            if (Level(category.Value) is { } level)
            {
                logger.MinimumLevel.Override(category.Key, level);
            }
        }

        logger.Enrich.FromLogContext().Enrich.WithProperty("Service", service).Enrich.With<JobScopeEnricher>();
        return string.Equals(configuration["Logging:Format"], "json", StringComparison.OrdinalIgnoreCase)
            ? logger.WriteTo.Console(new CompactJsonFormatter())
            : logger.WriteTo.Console(outputTemplate: TextTemplate, formatProvider: System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Microsoft.Extensions.Logging's level names (Trace … None) in Serilog's terms.</summary>
    static LogEventLevel? Level(string? name) => name?.ToLowerInvariant() switch
    {
        "trace" => LogEventLevel.Verbose,
        "debug" => LogEventLevel.Debug,
        "information" => LogEventLevel.Information,
        "warning" => LogEventLevel.Warning,
        "error" => LogEventLevel.Error,
        "critical" or "none" => LogEventLevel.Fatal,
        _ => null,
    };

    /// <summary>Binds a section to options validated by data annotations as the host starts, so a
    /// bad setting stops the service with a clear message instead of failing later.</summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, string section)
        where TOptions : class
    {
        return services.AddOptions<TOptions>()
            .BindConfiguration(section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
    }
}
