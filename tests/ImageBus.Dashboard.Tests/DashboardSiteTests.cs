using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageBus.Testing;
using Xunit;

namespace ImageBus.Dashboard.Tests;

/// <summary>The dashboard's files and <c>GET /v1/me</c> over plain HTTP: the files need no key and come from the gateway
/// itself under a policy that allows nothing from elsewhere.</summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardSiteTests(DashboardFixture fixture)
{
    readonly ImageBusCluster cluster = fixture.Cluster;

    [Theory]
    [InlineData("/", "text/html")]
    [InlineData("/app.js", "text/javascript")]
    [InlineData("/style.css", "text/css")]
    public async Task The_dashboard_is_served_without_a_key_under_a_same_origin_policy(string path, string contentType)
    {
        using var anonymous = cluster.Anonymous();
        using var response = await anonymous.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
        var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy);
        Assert.Contains("script-src 'self'", policy);
        Assert.Contains("connect-src 'self'", policy);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.NotNull(response.Headers.ETag);
    }

    [Fact]
    public async Task The_sample_case_button_fills_in_the_case_imagebus_up_submits()
    {
        using var anonymous = cluster.Anonymous();
        var served = await anonymous.GetStringAsync("/sample-case.json");

        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "deploy", "sample-case.json")), served);
    }

    [Fact]
    public async Task Only_the_sites_files_are_anonymous()
    {
        using var anonymous = cluster.Anonymous();
        // Only the site's own files are anonymous: any other path takes a key, as before the dashboard.
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/no-such-file.js")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await cluster.Gateway.GetAsync("/no-such-file.js")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/me")).StatusCode);
    }

    [Fact]
    public async Task Me_says_whom_a_key_acts_for()
    {
        var tenant = await cluster.Gateway.GetFromJsonAsync<JsonElement>("/v1/me");
        Assert.Equal(ImageBusCluster.DefaultTenant, tenant.GetProperty("tenantId").GetString());
        Assert.False(tenant.GetProperty("isAdmin").GetBoolean());
        Assert.Matches("^[0-9a-f]{12}$", tenant.GetProperty("keyId").GetString());

        var admin = await cluster.Admin.GetFromJsonAsync<JsonElement>("/v1/me");
        Assert.Equal(JsonValueKind.Null, admin.GetProperty("tenantId").ValueKind);
        Assert.True(admin.GetProperty("isAdmin").GetBoolean());

        using var garbled = cluster.ClientWithKey("ibk_nothing_here");
        Assert.Equal(HttpStatusCode.Unauthorized, (await garbled.GetAsync("/v1/me")).StatusCode);
    }
}
