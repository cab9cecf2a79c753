using System.Security.Claims;
using System.Text.Encodings.Web;
using ImageBus.Tenants;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ImageBus.Gateway.Auth;

/// <summary>The <c>Authorization: Bearer &lt;API key&gt;</c> scheme: a tenant's key (claim <see cref="TenantClaim"/>) or an
/// admin key (role <see cref="AdminRole"/>). No header: anonymous, which every route but health and signed image links
/// refuses. A garbled, unknown or revoked key: 401 with <c>WWW-Authenticate: Bearer</c>, as problem details.</summary>
sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ApiKeyAuthenticator keys, IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string TenantClaim = "imagebus:tenant";
    public const string KeyIdClaim = "imagebus:key";
    public const string AdminRole = "admin";
    const string BearerPrefix = "Bearer ";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("the Authorization header is not 'Bearer <API key>'");
        }

        var identity = await keys.AuthenticateAsync(header[BearerPrefix.Length..].Trim(), Context.RequestAborted);
        if (identity is null)
        {
            return AuthenticateResult.Fail("the API key is unknown or revoked");
        }

        List<Claim> claims = [new(KeyIdClaim, identity.KeyId)];
        claims.Add(identity.TenantId is { } tenant ? new Claim(TenantClaim, tenant) : new Claim(ClaimTypes.Role, AdminRole));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var presented = Request.Headers.Authorization.Count > 0;
        Response.Headers.WWWAuthenticate = presented ? "Bearer error=\"invalid_token\"" : "Bearer";
        await WriteProblemAsync(StatusCodes.Status401Unauthorized, "An API key is required.",
            presented ? "The API key is garbled, unknown or revoked." : "Send 'Authorization: Bearer <API key>'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status403Forbidden, "This key may not do that.",
            Context.User.IsInRole(AdminRole)
                ? "An admin key manages tenants and keys and reads jobs; acting for a tenant takes that tenant's key."
                : "This route takes an admin key.");

    async Task WriteProblemAsync(int status, string title, string detail)
    {
        Response.StatusCode = status;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }
}

/// <summary>Who is calling, bound into handlers from the authenticated key.</summary>
/// <param name="TenantId">The key's tenant; null for an admin key.</param>
public sealed record Caller(string KeyId, string? TenantId)
{
    public bool IsAdmin => TenantId is null;

    /// <summary>The tenant on routes that require a tenant's key (policy <see cref="GatewayAuthorization.Tenant"/>).</summary>
    public string Tenant => TenantId ?? throw new InvalidOperationException("an admin key reached a route for tenants");

    /// <summary>The one ownership rule: a tenant sees its own jobs, images, streams, endpoints and deliveries; an admin
    /// key reads any job. What fails it answers 404, never 403, so that nobody learns what exists.</summary>
    public bool MaySee(string ownerTenantId) => IsAdmin || TenantId == ownerTenantId;

    public static ValueTask<Caller?> BindAsync(HttpContext http) => ValueTask.FromResult(Of(http.User));

    public static Caller? Of(ClaimsPrincipal user) =>
        user.FindFirst(ApiKeyAuthenticationHandler.KeyIdClaim)?.Value is { } keyId
            ? new Caller(keyId, user.FindFirst(ApiKeyAuthenticationHandler.TenantClaim)?.Value)
            : null;
}

public static class GatewayAuthorization
{
    /// <summary>Routes that act for a tenant: submitting, retrying, cancelling, webhooks.</summary>
    public const string Tenant = "tenant";

    /// <summary>Routes that manage tenants and keys.</summary>
    public const string Admin = "admin";

    /// <summary>API keys on every route (the fallback policy: a route says <c>AllowAnonymous</c> to take none), and the
    /// tenant and admin policies.</summary>
    public static IServiceCollection AddGatewayAuthorization(this IServiceCollection services)
    {
        services.AddTenantStore();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(Tenant, policy => policy.RequireClaim(ApiKeyAuthenticationHandler.TenantClaim))
            .AddPolicy(Admin, policy => policy.RequireRole(ApiKeyAuthenticationHandler.AdminRole));
        return services;
    }
}
