using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ImageBus.ServiceDefaults;

/// <summary>Traces, metrics and health endpoints, the same on every service. Libraries add their own sources
/// (MassTransit in ImageBus.Messaging, Npgsql in ImageBus.Persistence) and health checks tagged <see cref="ReadyTag"/>.</summary>
public static class Telemetry
{
    /// <summary>Health checks with this tag decide <c>/health/ready</c>: the dependencies a service cannot work without.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Every ImageBus meter and activity source is named <c>ImageBus.…</c>.</summary>
    public const string SourcePrefix = "ImageBus.";

    /// <summary>OpenTelemetry for the host: ASP.NET Core, HttpClient and runtime instrumentation and every ImageBus source;
    /// exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the standard OTEL_* variables configure it), and
    /// metrics scraped by Prometheus at <c>/metrics</c>.</summary>
    public static IHostApplicationBuilder AddTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks();
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Environment.ApplicationName))
            .WithTracing(tracing => tracing
                .AddSource(SourcePrefix + "*")
                // Probes and scrapes are not traces anyone wants to follow.
                .AddAspNetCoreInstrumentation(options => options.Filter = http => !IsProbe(http.Request.Path))
                .AddHttpClientInstrumentation())
            .WithMetrics(metrics => metrics
                .AddMeter(SourcePrefix + "*")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter());
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
        }

        return builder;
    }

    /// <summary><c>/health/live</c> (the process answers), <c>/health/ready</c> (every check tagged <see cref="ReadyTag"/>
    /// passes) and <c>/metrics</c> (Prometheus text format).</summary>
    public static IEndpointRouteBuilder MapServiceEndpoints(this IEndpointRouteBuilder app)
    {
        // Anonymous where a service authenticates callers (the gateway): probes and scrapers carry no key.
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) }).AllowAnonymous();
        app.MapPrometheusScrapingEndpoint().AllowAnonymous();
        return app;
    }

    static bool IsProbe(Microsoft.AspNetCore.Http.PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics");
}
