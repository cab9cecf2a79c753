using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImageBus.ServiceDefaults;

/// <summary>Start-up wiring every ImageBus service shares.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Structured console logs: JSON when <c>Logging:Format</c> is <c>json</c> (for log shippers),
    /// one readable line per event otherwise.</summary>
    public static IHostApplicationBuilder AddImageBusLogging(this IHostApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        if (string.Equals(builder.Configuration["Logging:Format"], "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.AddJsonConsole(o => o.TimestampFormat = "O");
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
        }

        return builder;
    }

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
