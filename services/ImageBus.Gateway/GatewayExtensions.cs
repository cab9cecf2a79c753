using ImageBus.Batches;
using ImageBus.Gateway.Admin;
using ImageBus.Gateway.ApiReference;
using ImageBus.Gateway.Auth;
using ImageBus.Gateway.Dashboard;
using ImageBus.Gateway.Jobs;
using ImageBus.Gateway.Operations;
using ImageBus.Gemini;
using ImageBus.Imaging;
using ImageBus.Gateway.Streaming;
using ImageBus.Gateway.Webhooks;
using ImageBus.ServiceDefaults;
using ImageBus.Jobs;
using ImageBus.Webhooks;
using ImageBus.Messaging;
using ImageBus.Messaging.Outbox;
using ImageBus.Operations;
using ImageBus.Persistence;
using ImageBus.Storage;
using ImageBus.Tenants;

namespace ImageBus.Gateway;

public static class GatewayExtensions
{
    public static IServiceCollection AddGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddProblemDetails();
        services.AddBadRequestProblems();
        services.AddValidatedOptions<JobOptions>(JobOptions.Section);
        // The same Gemini and Imaging settings the workers read, so submissions are checked by the workers' limits.
        services.AddGeminiModelOptions(configuration);
        services.AddImageProcessing(configuration);
        services.AddSingleton<SourceUploads>();
        services.AddSingleton<ImageRenditions>();
        services.AddSingleton<JobStatusReader>();
        services.AddSingleton(TimeProvider.System);
        services.AddBlobStore();
        services.AddJobStore();
        // Batch-mode jobs' status names their Gemini batches.
        services.AddGeminiBatches();
        services.AddWebhookStore();
        services.AddGatewayAuthorization();
        services.AddSignedImageUrls();
        // People wait on these answers: a connection a database restart dropped is tried again, not answered with 500.
        services.RetryDroppedConnections<JobsDbContext>();
        services.RetryDroppedConnections<WebhooksDbContext>();
        services.RetryDroppedConnections<TenantsDbContext>();
        services.AddImageBusMessaging(_ => { });
        // Submissions publish through the outbox; this gateway sends its own rows and any a crashed instance left.
        services.AddTransactionalOutbox();
        services.AddWebhookEndpointsApi();
        services.AddJobEventStream();
        services.AddRetention();
        services.AddOperationsViews();
        services.AddApiReference();
        return services;
    }

    /// <summary>Retention of old jobs (see <see cref="RetentionSweeper"/>), swept by the gateways, which hold every store it removes from.</summary>
    static IServiceCollection AddRetention(this IServiceCollection services)
    {
        services.AddValidatedOptions<RetentionOptions>(RetentionOptions.Section);
        services.AddSingleton<JobRetention>();
        services.AddSingleton<WebhookRetention>();
        services.AddSingleton<RetentionSweeper>();
        services.AddHostedService(provider => provider.GetRequiredService<RetentionSweeper>());
        return services;
    }

    /// <summary>Dead letters (collected by the gateways, see <see cref="ImageBus.Operations.DeadLetters.DeadLetterCollector"/>)
    /// and system health, whose sections the owning libraries compute.</summary>
    static IServiceCollection AddOperationsViews(this IServiceCollection services)
    {
        services.AddOperations();
        services.AddSingleton<JobHealth>();
        services.AddSingleton<WebhookHealth>();
        services.AddGeminiCallTables();
        return services;
    }

    public static WebApplication MapGateway(this WebApplication app)
    {
        app.UseRequestLogContext();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseDashboard();
        app.UseAuthorization();
        // Probes and scrapes carry no key (MapServiceEndpoints allows them anonymously); every other route takes one
        // (the fallback policy) unless it says otherwise.
        app.MapServiceEndpoints();
        app.MapCallerApi();
        app.MapAdminApi().MapRetentionApi();
        app.MapJobsApi();
        app.MapWebhookEndpointsApi();
        app.MapJobEventStream();
        app.MapDeadLettersApi();
        app.MapSystemHealth();
        app.MapApiReference();
        return app;
    }
}
