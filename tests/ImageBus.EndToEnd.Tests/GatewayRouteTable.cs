using ImageBus.Gateway;
using ImageBus.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace ImageBus.EndToEnd.Tests;

/// <summary>The gateway's own route table: the application built in-process as its Program.cs builds it, never started.</summary>
static class GatewayRouteTable
{
    public static IReadOnlyList<RouteEndpoint> Endpoints()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ApplicationName = typeof(GatewayExtensions).Assembly.GetName().Name });
        builder.Configuration["ConnectionStrings:ImageBus"] = "Host=unused";
        builder.AddServiceDefaults();
        builder.Services.AddGateway(builder.Configuration);
        var app = builder.Build();
        app.MapGateway();
        return [.. ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()];
    }
}
