using ImageBus.Contracts;
using ImageBus.Gateway.Auth;
using ImageBus.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ImageBus.Gateway.Admin;

/// <summary>Tenants and their API keys, for admin keys only.</summary>
public static class AdminApi
{
    const int MaxNameLength = 200;

    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/v1/admin").WithTags("Admin").RequireAuthorization(GatewayAuthorization.Admin);
        admin.MapPost("/tenants", CreateTenant).WithName("CreateTenant");
        admin.MapGet("/tenants", ListTenants).WithName("ListTenants");
        admin.MapGet("/tenants/{tenantId}", GetTenant).WithName("GetTenant");
        admin.MapDelete("/tenants/{tenantId}", DeleteTenant).WithName("DeleteTenant");
        admin.MapPost("/tenants/{tenantId}/keys", CreateKey).WithName("CreateApiKey");
        admin.MapGet("/tenants/{tenantId}/keys", ListKeys).WithName("ListApiKeys");
        admin.MapDelete("/keys/{keyId}", RevokeKey).WithName("RevokeApiKey");
        return admin;
    }

    static async Task<Results<Created<TenantResponse>, ValidationProblem, Conflict<ProblemDetails>>> CreateTenant(
        CreateTenantRequest request, IDbContextFactory<TenantsDbContext> contexts, TimeProvider clock, ILogger<TenantsDbContext> logger,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (!TenantIds.IsValid(request.TenantId))
        {
            errors["tenantId"] = [$"must be {TenantIds.Rule}"];
        }

        if (NameProblem(request.Name) is { } nameProblem)
        {
            errors["name"] = [nameProblem];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The tenant is not valid.");
        }

        var tenant = new Tenant { TenantId = request.TenantId!, Name = request.Name, CreatedAt = clock.GetUtcNow() };
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // Deleted tenants keep their ids: their jobs and blobs still carry them.
        var created = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO tenants (tenant_id, name, created_at) VALUES ({tenant.TenantId}, {tenant.Name}, {tenant.CreatedAt})
            ON CONFLICT (tenant_id) DO NOTHING
            """, cancellationToken);
        if (created == 0)
        {
            return TypedResults.Conflict(new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = "The tenant exists.",
                Detail = $"Tenant '{tenant.TenantId}' exists or existed; tenant ids are never reused.",
            });
        }

        logger.LogInformation("Created tenant {TenantId}", tenant.TenantId);
        return TypedResults.Created($"/v1/admin/tenants/{tenant.TenantId}", TenantResponse.From(tenant));
    }

    static async Task<Ok<List<TenantResponse>>> ListTenants(IDbContextFactory<TenantsDbContext> contexts, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var tenants = await db.Tenants.AsNoTracking().Where(t => t.DeletedAt == null).OrderBy(t => t.TenantId).ToListAsync(cancellationToken);
        return TypedResults.Ok(tenants.Select(TenantResponse.From).ToList());
    }

    static async Task<Results<Ok<TenantResponse>, NotFound>> GetTenant(
        string tenantId, IDbContextFactory<TenantsDbContext> contexts, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var tenant = await FindAsync(db, tenantId, cancellationToken);
        return tenant is null ? TypedResults.NotFound() : TypedResults.Ok(TenantResponse.From(tenant));
    }

    /// <summary>Marks the tenant deleted and revokes its keys; its jobs and images stay (and no one else gets its id).</summary>
    static async Task<Results<NoContent, NotFound>> DeleteTenant(
        string tenantId, IDbContextFactory<TenantsDbContext> contexts, TimeProvider clock, ILogger<TenantsDbContext> logger,
        CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var deleted = await db.Tenants.Where(t => t.TenantId == tenantId && t.DeletedAt == null)
            .ExecuteUpdateAsync(t => t.SetProperty(x => x.DeletedAt, now), cancellationToken);
        if (deleted == 0)
        {
            return TypedResults.NotFound();
        }

        await RevokeAsync(db.ApiKeys.Where(k => k.TenantId == tenantId), now, cancellationToken);
        logger.LogInformation("Deleted tenant {TenantId} and revoked its keys", tenantId);
        return TypedResults.NoContent();
    }

    static async Task<Results<Created<CreatedApiKeyResponse>, NotFound, ValidationProblem>> CreateKey(
        string tenantId, CreateApiKeyRequest? request, IDbContextFactory<TenantsDbContext> contexts, TimeProvider clock,
        ILogger<TenantsDbContext> logger, CancellationToken cancellationToken)
    {
        if (NameProblem(request?.Name) is { } nameProblem)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["name"] = [nameProblem] }, title: "The key is not valid.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await FindAsync(db, tenantId, cancellationToken) is null)
        {
            return TypedResults.NotFound();
        }

        var (keyId, key) = ApiKeys.Generate();
        var apiKey = new ApiKey
        {
            KeyId = keyId, TenantId = tenantId, Name = request?.Name, KeyHash = ApiKeys.Hash(key), CreatedAt = clock.GetUtcNow(),
        };
        db.ApiKeys.Add(apiKey);
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Created API key {KeyId} for tenant {TenantId}", keyId, tenantId);
        return TypedResults.Created($"/v1/admin/tenants/{tenantId}/keys", new CreatedApiKeyResponse(ApiKeyResponse.From(apiKey), key));
    }

    static async Task<Results<Ok<List<ApiKeyResponse>>, NotFound>> ListKeys(
        string tenantId, IDbContextFactory<TenantsDbContext> contexts, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await FindAsync(db, tenantId, cancellationToken) is null)
        {
            return TypedResults.NotFound();
        }

        var keys = await db.ApiKeys.AsNoTracking().Where(k => k.TenantId == tenantId).OrderBy(k => k.CreatedAt).ToListAsync(cancellationToken);
        return TypedResults.Ok(keys.Select(ApiKeyResponse.From).ToList());
    }

    /// <summary>Revokes a key: from the next request on it answers 401.</summary>
    static async Task<Results<NoContent, NotFound>> RevokeKey(
        string keyId, IDbContextFactory<TenantsDbContext> contexts, TimeProvider clock, ILogger<TenantsDbContext> logger,
        CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await RevokeAsync(db.ApiKeys.Where(k => k.KeyId == keyId), now, cancellationToken) == 0)
        {
            return TypedResults.NotFound();
        }

        logger.LogInformation("Revoked API key {KeyId}", keyId);
        return TypedResults.NoContent();
    }

    /// <summary>Revokes the keys not yet revoked (a revocation time never moves); answers how many.</summary>
    static Task<int> RevokeAsync(IQueryable<ApiKey> keys, DateTimeOffset now, CancellationToken cancellationToken) =>
        keys.Where(k => k.RevokedAt == null).ExecuteUpdateAsync(k => k.SetProperty(x => x.RevokedAt, now), cancellationToken);

    static Task<Tenant?> FindAsync(TenantsDbContext db, string tenantId, CancellationToken cancellationToken) =>
        db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.TenantId == tenantId && t.DeletedAt == null, cancellationToken);

    static string? NameProblem(string? name) =>
        name is null ? null
        : name.Length > MaxNameLength ? $"must be at most {MaxNameLength} characters"
        : name.Any(char.IsControl) ? "must not contain control characters"
        : null;
}
