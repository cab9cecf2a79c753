using ImageBus.Gateway.Jobs;
using ImageBus.Gemini;
using ImageBus.Imaging;
using ImageBus.Gateway.Streaming;
using ImageBus.Gateway.Webhooks;
using ImageBus.ServiceDefaults;
using ImageBus.Jobs;
using ImageBus.Webhooks;
using ImageBus.Messaging;
using ImageBus.Messaging.Outbox;
using ImageBus.Persistence;
using ImageBus.Storage;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace ImageBus.Gateway;

public static class GatewayExtensions
{
    public static IServiceCollection AddGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddProblemDetails();
        services.AddBadRequestProblems();
        services.AddHealthChecks();
        services.AddValidatedOptions<JobOptions>(JobOptions.Section);
        // The same Gemini and Imaging settings the workers read, so submissions are checked by the workers' limits.
        services.AddGeminiModelOptions(configuration);
        services.AddImageProcessing(configuration);
        services.AddSingleton<SourceUploads>();
        services.AddSingleton(TimeProvider.System);
        services.AddBlobStore();
        services.AddJobStore();
        services.AddWebhookStore();
        // People wait on these answers: a connection a database restart dropped is tried again, not answered with 500.
        services.RetryDroppedConnections<JobsDbContext>();
        services.RetryDroppedConnections<WebhooksDbContext>();
        services.AddImageBusMessaging(_ => { });
        // Submissions publish through the outbox; this gateway sends its own rows and any a crashed instance left.
        services.AddTransactionalOutbox();
        services.AddWebhookEndpointsApi();
        return services;
    }

    public static WebApplication MapGateway(this WebApplication app)
    {
        app.UseRequestLogContext();
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
