using System.Diagnostics;
using ImageBus.Gateway.Auth;
using ImageBus.ServiceDefaults;
using Serilog;
using Serilog.Context;

namespace ImageBus.Gateway;

/// <summary>Ties the gateway's log lines to the request's job: <c>JobId</c> from the route, <c>TenantId</c> from the
/// request's API key (authenticated here, before the properties are pushed), <c>CorrelationId</c> from the request's trace, on every line written while it is handled,
/// and one Serilog summary line per request.</summary>
public static class RequestLogContext
{
    public static WebApplication UseRequestLogContext(this WebApplication app)
    {
        app.UseSerilogRequestLogging(options => options.EnrichDiagnosticContext = (diagnostics, http) =>
        {
            foreach (var (name, value) in Properties(http))
            {
                diagnostics.Set(name, value);
            }
        });
        app.UseAuthentication();
        app.Use(async (http, next) =>
        {
            var pushed = Properties(http).Select(p => LogContext.PushProperty(p.Name, p.Value)).ToList();
            try
            {
                await next(http);
            }
            finally
            {
                pushed.ForEach(p => p.Dispose());
            }
        });
        return app;
    }

    static IEnumerable<(string Name, object Value)> Properties(HttpContext http)
    {
        if (http.Request.RouteValues.TryGetValue("jobId", out var jobId) && jobId is not null)
        {
            yield return (LogProperties.JobId, jobId);
        }

        if (Caller.Of(http.User)?.TenantId is { } tenant)
        {
            yield return (LogProperties.TenantId, tenant);
        }

        yield return (LogProperties.CorrelationId, Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier);
    }
}
