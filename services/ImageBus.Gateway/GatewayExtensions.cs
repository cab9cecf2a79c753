using ImageBus.Gateway.Jobs;
using ImageBus.Gateway.Streaming;
using ImageBus.Gateway.Webhooks;
using ImageBus.ServiceDefaults.Hosting;
using ImageBus.ServiceDefaults.Jobs;
using ImageBus.ServiceDefaults.Messaging;
using ImageBus.ServiceDefaults.Persistence;
using ImageBus.ServiceDefaults.Storage;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace ImageBus.Gateway;

public static class GatewayExtensions
{
    public static IServiceCollection AddGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddProblemDetails();
        services.AddHealthChecks();
        services.AddValidatedOptions<JobOptions>(JobOptions.Section);
        services.AddSingleton(TimeProvider.System);
        services.AddBlobStore();
        services.AddImageBusDatabase(configuration);
        services.AddImageBusMessaging(_ => { });
        services.AddWebhookEndpointsApi();
        return services;
    }

    public static WebApplication MapGateway(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready");
        app.MapJobsApi();
        app.MapWebhookEndpointsApi();
        app.MapJobEventStream();
        return app;
    }
}
