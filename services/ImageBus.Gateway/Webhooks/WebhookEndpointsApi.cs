using ImageBus.Contracts;
using ImageBus.Gateway.Auth;
using ImageBus.ServiceDefaults;
using ImageBus.Messaging;
using ImageBus.Http;
using ImageBus.Jobs;
using ImageBus.Webhooks;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.Extensions.Options;

namespace ImageBus.Gateway.Webhooks;

/// <summary>Webhook endpoints per tenant (the tenant is the API key's), their delivery log, redelivery and recovery, and
/// the secret that signs the webhooks of jobs submitted with their own URL. Another tenant's endpoint or delivery is 404.</summary>
public static class WebhookEndpointsApi
{
    public static IServiceCollection AddWebhookEndpointsApi(this IServiceCollection services)
    {
        services.AddValidatedOptions<WebhookApiOptions>(WebhookApiOptions.Section);
        services.AddValidatedOptions<OutboundAddressOptions>(OutboundAddressOptions.Section);
        services.AddSingleton<OutboundAddressGuard>();
        services.AddCommandQueue(DeliverWebhook.QueueName);
        return services;
    }

    public static RouteGroupBuilder MapWebhookEndpointsApi(this IEndpointRouteBuilder app)
    {
        var webhooks = app.MapGroup("/v1/webhooks").WithTags("Webhooks").RequireAuthorization(GatewayAuthorization.Tenant);
        webhooks.MapPost("/endpoints", Create).WithName("CreateWebhookEndpoint");
        webhooks.MapGet("/endpoints", List).WithName("ListWebhookEndpoints");
        webhooks.MapGet("/endpoints/{endpointId:guid}", Get).WithName("GetWebhookEndpoint");
        webhooks.MapPatch("/endpoints/{endpointId:guid}", Update).WithName("UpdateWebhookEndpoint");
        webhooks.MapDelete("/endpoints/{endpointId:guid}", Delete).WithName("DeleteWebhookEndpoint");
        webhooks.MapPost("/endpoints/{endpointId:guid}/rotate-secret", RotateSecret).WithName("RotateWebhookSecret");
        webhooks.MapGet("/endpoints/{endpointId:guid}/deliveries", ListDeliveries).WithName("ListWebhookDeliveries");
        webhooks.MapPost("/endpoints/{endpointId:guid}/recover", Recover).WithName("RecoverWebhookDeliveries");
        webhooks.MapPost("/deliveries/{deliveryId:guid}/redeliver", Redeliver).WithName("RedeliverWebhook");
        webhooks.MapPost("/job-secret", RotateJobSecret).WithName("RotateJobWebhookSecret");
        // The deliveries to a job's own webhookUrl: the notifier records that URL as an endpoint of the job alone.
        app.MapGet("/v1/jobs/{jobId:guid}/webhook-deliveries", ListJobDeliveries).WithTags("Webhooks").WithName("ListJobWebhookDeliveries")
            .RequireAuthorization(GatewayAuthorization.Tenant);
        return webhooks;
    }

    static async Task<Results<Created<CreatedWebhookEndpointResponse>, ValidationProblem>> Create(
        Caller caller, CreateWebhookEndpointRequest request, OutboundAddressGuard guard,
        IDbContextFactory<WebhooksDbContext> contexts, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (await ValidateAsync(request.Url, request.Description, request.EventTypes, guard, cancellationToken) is { } invalid)
        {
            return invalid;
        }

        var now = clock.GetUtcNow();
        var endpoint = new WebhookEndpoint
        {
            Id = NewId.NextGuid(), TenantId = caller.Tenant, Url = request.Url, Description = request.Description,
            EventTypes = WebhookEventTypes.Expand(request.EventTypes), Enabled = request.Enabled,
            Secret = WebhookSecrets.Generate(), CreatedAt = now, UpdatedAt = now,
        };
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.WebhookEndpoints.Add(endpoint);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/v1/webhooks/endpoints/{endpoint.Id}",
            new CreatedWebhookEndpointResponse(WebhookEndpointResponse.From(endpoint), endpoint.Secret));
    }

    static async Task<Ok<List<WebhookEndpointResponse>>> List(
        Caller caller, IDbContextFactory<WebhooksDbContext> contexts, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var endpoints = await db.WebhookEndpoints.AsNoTracking()
            .Where(e => e.TenantId == caller.Tenant && e.JobId == null)
            .OrderBy(e => e.CreatedAt)
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(endpoints.Select(WebhookEndpointResponse.From).ToList());
    }

    static async Task<Results<Ok<WebhookEndpointResponse>, NotFound>> Get(
        Caller caller, Guid endpointId, IDbContextFactory<WebhooksDbContext> contexts,
        CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var endpoint = await FindAsync(db, caller.Tenant, endpointId, cancellationToken);
        return endpoint is null ? TypedResults.NotFound() : TypedResults.Ok(WebhookEndpointResponse.From(endpoint));
    }

    static async Task<Results<Ok<WebhookEndpointResponse>, NotFound, ValidationProblem>> Update(
        Caller caller, Guid endpointId, UpdateWebhookEndpointRequest request,
        OutboundAddressGuard guard, IDbContextFactory<WebhooksDbContext> contexts, TimeProvider clock, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var endpoint = await FindAsync(db, caller.Tenant, endpointId, cancellationToken);
        if (endpoint is null)
        {
            return TypedResults.NotFound();
        }

        if (await ValidateAsync(request.Url ?? endpoint.Url, request.Description, request.EventTypes, guard, cancellationToken) is { } invalid)
        {
            return invalid;
        }

        endpoint.Url = request.Url ?? endpoint.Url;
        endpoint.Description = request.Description ?? endpoint.Description;
        endpoint.EventTypes = request.EventTypes is null ? endpoint.EventTypes : WebhookEventTypes.Expand(request.EventTypes);
        if (request.Enabled is { } enabled && enabled != endpoint.Enabled)
        {
            endpoint.Enabled = enabled;
            endpoint.DisabledReason = enabled ? null : "disabled through the API";
            endpoint.FailingSince = null;
        }

        endpoint.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(WebhookEndpointResponse.From(endpoint));
    }

    static async Task<Results<NoContent, NotFound>> Delete(
        Caller caller, Guid endpointId, IDbContextFactory<WebhooksDbContext> contexts,
        CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var deleted = await db.WebhookEndpoints
            .Where(e => e.Id == endpointId && e.TenantId == caller.Tenant && e.JobId == null)
            .ExecuteDeleteAsync(cancellationToken);
        return deleted == 0 ? TypedResults.NotFound() : TypedResults.NoContent();
    }

    static async Task<Results<Ok<WebhookSecretResponse>, NotFound>> RotateSecret(
        Caller caller, Guid endpointId, IDbContextFactory<WebhooksDbContext> contexts,
        IOptions<WebhookApiOptions> options, TimeProvider clock, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var endpoint = await FindAsync(db, caller.Tenant, endpointId, cancellationToken);
        if (endpoint is null)
        {
            return TypedResults.NotFound();
        }

        var now = clock.GetUtcNow();
        (endpoint.Secret, endpoint.PreviousSecret, endpoint.PreviousSecretExpiresAt) =
            WebhookSecrets.Rotate(endpoint.Secret, now, options.Value.PreviousSecretLifetime);
        endpoint.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new WebhookSecretResponse(endpoint.Secret, endpoint.PreviousSecretExpiresAt));
    }

    /// <summary>Creates or rotates the tenant's secret for the webhooks of jobs submitted with a <c>webhookUrl</c>.
    /// Until a tenant has one, those webhooks are sent unsigned.</summary>
    static async Task<Ok<WebhookSecretResponse>> RotateJobSecret(
        Caller caller, IDbContextFactory<WebhooksDbContext> contexts,
        IOptions<WebhookApiOptions> options, TimeProvider clock, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var secret = await db.WebhookTenantSecrets.SingleOrDefaultAsync(s => s.TenantId == caller.Tenant, cancellationToken);
        if (secret is null)
        {
            secret = new WebhookTenantSecret { TenantId = caller.Tenant, CreatedAt = now };
            db.WebhookTenantSecrets.Add(secret);
        }

        (secret.Secret, secret.PreviousSecret, secret.PreviousSecretExpiresAt) =
            WebhookSecrets.Rotate(secret.Secret, now, options.Value.PreviousSecretLifetime);
        secret.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new WebhookSecretResponse(secret.Secret, secret.PreviousSecretExpiresAt));
    }

    static async Task<Results<Ok<List<WebhookDeliveryResponse>>, NotFound, ValidationProblem>> ListDeliveries(
        Caller caller, Guid endpointId, string? status, DateTimeOffset? since, int? limit,
        IDbContextFactory<WebhooksDbContext> contexts, CancellationToken cancellationToken)
    {
        if (InvalidStatus(status) is { } invalid)
        {
            return invalid;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await FindAsync(db, caller.Tenant, endpointId, cancellationToken) is null)
        {
            return TypedResults.NotFound();
        }

        return TypedResults.Ok(await DeliveriesAsync(db, d => d.EndpointId == endpointId, status, since, limit, cancellationToken));
    }

    /// <summary>The deliveries of a job's events to the job's own <c>webhookUrl</c> (deliveries to the tenant's registered
    /// endpoints are listed per endpoint); an empty list for a job without one.</summary>
    static async Task<Results<Ok<List<WebhookDeliveryResponse>>, ValidationProblem, NotFound>> ListJobDeliveries(
        Caller caller, Guid jobId, string? status, DateTimeOffset? since, int? limit,
        IDbContextFactory<WebhooksDbContext> contexts, IDbContextFactory<JobsDbContext> jobContexts, CancellationToken cancellationToken)
    {
        if (InvalidStatus(status) is { } invalid)
        {
            return invalid;
        }

        // Another tenant's job is not found, as on every other job route (a job published on the bus has no request row).
        await using (var jobs = await jobContexts.CreateDbContextAsync(cancellationToken))
        {
            if (!await jobs.Jobs.AnyAsync(j => j.CorrelationId == jobId && j.TenantId == caller.Tenant, cancellationToken)
                && !await jobs.JobRequests.AnyAsync(r => r.JobId == jobId && r.TenantId == caller.Tenant, cancellationToken))
            {
                return TypedResults.NotFound();
            }
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var endpoints = db.WebhookEndpoints.Where(e => e.JobId == jobId && e.TenantId == caller.Tenant).Select(e => e.Id);
        return TypedResults.Ok(await DeliveriesAsync(db, d => endpoints.Contains(d.EndpointId), status, since, limit, cancellationToken));
    }

    static ValidationProblem? InvalidStatus(string? status) =>
        status is null || WebhookDeliveryStatuses.All.Contains(status)
            ? null
            : TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["status"] = [$"must be one of {string.Join(", ", WebhookDeliveryStatuses.All)}"] },
                title: "The request is not valid.");

    static async Task<List<WebhookDeliveryResponse>> DeliveriesAsync(
        WebhooksDbContext db, System.Linq.Expressions.Expression<Func<WebhookDelivery, bool>> of, string? status, DateTimeOffset? since,
        int? limit, CancellationToken cancellationToken)
    {
        var deliveries = await db.WebhookDeliveries.AsNoTracking().Include(d => d.AttemptLog)
            .Where(of)
            .Where(d => status == null || d.Status == status)
            .Where(d => since == null || d.CreatedAt >= since)
            .OrderBy(d => d.CreatedAt).ThenBy(d => d.JobId).ThenBy(d => d.Sequence)
            .Take(Math.Clamp(limit ?? 100, 1, 1000))
            .ToListAsync(cancellationToken);
        return deliveries.Select(WebhookDeliveryResponse.From).ToList();
    }

    static async Task<Results<Accepted, NotFound>> Redeliver(
        Caller caller, Guid deliveryId, IDbContextFactory<WebhooksDbContext> contexts,
        ISendEndpointProvider sender, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var requeued = await db.WebhookDeliveries
            .Where(d => d.Id == deliveryId && db.WebhookEndpoints.Any(e => e.Id == d.EndpointId && e.TenantId == caller.Tenant))
            .ExecuteUpdateAsync(Requeue, cancellationToken);
        if (requeued == 0)
        {
            return TypedResults.NotFound();
        }

        await SendAsync(sender, [deliveryId], cancellationToken);
        return TypedResults.Accepted($"/v1/webhooks/deliveries/{deliveryId}");
    }

    /// <summary>Queues again every delivery of the endpoint since <paramref name="since"/> that is dead or
    /// waiting for a retry; they go out in order per job, as new ones do.</summary>
    static async Task<Results<Ok<RecoverDeliveriesResponse>, NotFound>> Recover(
        Caller caller, Guid endpointId, DateTimeOffset since,
        IDbContextFactory<WebhooksDbContext> contexts, ISendEndpointProvider sender, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await FindAsync(db, caller.Tenant, endpointId, cancellationToken) is null)
        {
            return TypedResults.NotFound();
        }

        var failed = db.WebhookDeliveries.Where(d => d.EndpointId == endpointId && d.CreatedAt >= since
            && (d.Status == WebhookDeliveryStatuses.Dead || (d.Status == WebhookDeliveryStatuses.Pending && d.Attempts > 0)));
        var ids = await failed.OrderBy(d => d.JobId).ThenBy(d => d.Sequence).Select(d => d.Id).ToListAsync(cancellationToken);
        await db.WebhookDeliveries.Where(d => ids.Contains(d.Id)).ExecuteUpdateAsync(Requeue, cancellationToken);
        await SendAsync(sender, ids, cancellationToken);
        return TypedResults.Ok(new RecoverDeliveriesResponse(ids.Count));
    }

    static void Requeue(UpdateSettersBuilder<WebhookDelivery> delivery) => delivery
        .SetProperty(d => d.Status, WebhookDeliveryStatuses.Pending)
        .SetProperty(d => d.Attempts, 0)
        // As an expression, UtcNow becomes the database's now(): the notifier compares it with now() too.
        .SetProperty(d => d.NextAttemptAt, _ => DateTimeOffset.UtcNow)
        .SetProperty(d => d.FinishedAt, (DateTimeOffset?)null);

    static async Task SendAsync(ISendEndpointProvider sender, IEnumerable<Guid> deliveryIds, CancellationToken cancellationToken)
    {
        var endpoint = await sender.GetSendEndpoint(DeliverWebhook.Address);
        foreach (var id in deliveryIds)
        {
            await endpoint.Send(new DeliverWebhook(id), cancellationToken);
        }
    }

    static Task<WebhookEndpoint?> FindAsync(WebhooksDbContext db, string tenantId, Guid endpointId, CancellationToken cancellationToken) =>
        db.WebhookEndpoints.SingleOrDefaultAsync(e => e.Id == endpointId && e.TenantId == tenantId && e.JobId == null, cancellationToken);

    /// <summary>Every problem of the request at once, so the caller can fix them in one go.</summary>
    static async Task<ValidationProblem?> ValidateAsync(
        string? url, string? description, IReadOnlyList<string>? eventTypes, OutboundAddressGuard guard, CancellationToken cancellationToken)
    {
        var errors = new List<ValidationError>();
        if (url is null)
        {
            errors.Add(new("url", "is required"));
        }
        else if (InputText.Check(errors, "url", url, InputText.MaxUrlLength) && await guard.CheckAsync(url, cancellationToken) is { } refusal)
        {
            errors.Add(new("url", refusal));
        }

        if (description is not null)
        {
            InputText.Check(errors, "description", description, InputText.MaxDescriptionLength);
        }

        var unknown = WebhookEventTypes.Unknown(eventTypes).ToList();
        if (unknown.Count > 0)
        {
            errors.Add(new("eventTypes",
                $"unknown event types {string.Join(", ", unknown.Select(InputText.Show))}; known: {string.Join(", ", WebhookEventTypes.FilterNames)}"));
        }

        return errors.Count == 0 ? null : ValidationProblems.From(errors, "The request is not valid.");
    }
}
