using Microsoft.Extensions.FileProviders;

namespace ImageBus.Gateway.Dashboard;

/// <summary>The dashboard: plain HTML, CSS and JavaScript modules from <c>Dashboard/site</c>, embedded in the gateway's
/// assembly and served at <c>/</c> without a key (the page asks for one and sends it on every API call as
/// <c>Authorization: Bearer</c>; nothing is a cookie, so there is no cross-site request to forge).</summary>
public static class DashboardSite
{
    /// <summary>Everything the page loads comes from the gateway itself: no inline script or style, no other origin;
    /// <c>blob:</c> images and downloads are what the page made from answers it fetched with the key.</summary>
    const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>Serves the site's files ahead of authorization (the fallback policy would demand a key of them).</summary>
    public static WebApplication UseDashboard(this WebApplication app)
    {
        var files = new ManifestEmbeddedFileProvider(typeof(DashboardSite).Assembly, "Dashboard/site");
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = file =>
            {
                var headers = file.Context.Response.Headers;
                // Revalidated by ETag on every load, so a new gateway's dashboard is the one people see.
                headers.CacheControl = "no-cache";
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
            },
        });
        return app;
    }
}
