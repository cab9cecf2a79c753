using Microsoft.AspNetCore.Http.HttpResults;

namespace ImageBus.Gateway.Auth;

/// <summary>Answer of <c>GET /v1/me</c>: whom the presented key acts for.</summary>
/// <param name="TenantId">The key's tenant; null for an admin key.</param>
public sealed record CallerResponse(string KeyId, string? TenantId, bool IsAdmin);

/// <summary><c>GET /v1/me</c>: any valid key learns what it is, so a client (the dashboard) shows what that key may do
/// instead of probing routes for 403s.</summary>
public static class CallerApi
{
    public static RouteHandlerBuilder MapCallerApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/v1/me", GetCaller).WithTags("Auth").WithName("GetCaller");

    static Ok<CallerResponse> GetCaller(Caller caller) => TypedResults.Ok(new CallerResponse(caller.KeyId, caller.TenantId, caller.IsAdmin));
}
