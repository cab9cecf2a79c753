using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using ImageBus.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary>The running gateway's OpenAPI document and API reference page, both without a key: the document parses and has
/// every route of the gateway's own route table with its method; the page loads nothing from anywhere but the gateway.</summary>
public sealed partial class ApiDocumentationTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    readonly ImageBusCluster cluster = fixture.Cluster;

    [Fact]
    public async Task The_document_parses_and_describes_every_route_with_its_method()
    {
        using var anonymous = cluster.Anonymous();
        using var response = await anonymous.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();

        var read = OpenApiDocument.Parse(text, "json", new OpenApiReaderSettings());
        Assert.Empty(read.Diagnostic?.Errors ?? []);
        var document = read.Document!;
        var described = document.Paths.SelectMany(p => p.Value.Operations!.Keys.Select(m => $"{m.Method} {p.Key}")).ToHashSet();

        var routes = GatewayRouteTable.Endpoints()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>() is { HttpMethods.Count: > 0 })
            .Where(e => !e.RoutePattern.RawText!.StartsWith("/openapi", StringComparison.Ordinal)
                && !e.RoutePattern.RawText.StartsWith("/scalar", StringComparison.Ordinal))
            .SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Select(m => $"{m} {DocumentPathOf(e.RoutePattern.RawText!)}"))
            .ToHashSet();
        Assert.Contains("POST /v1/jobs", routes);
        var missing = routes.Except(described).Order().ToList();
        Assert.True(missing.Count == 0, $"routes missing from the document: {string.Join(", ", missing)}");

        // Keys are documented, and where a key is optional.
        var bearer = Assert.IsType<OpenApiSecurityScheme>(document.Components!.SecuritySchemes!["Bearer"]);
        Assert.Equal((SecuritySchemeType.Http, "bearer"), (bearer.Type, bearer.Scheme));
        Assert.NotEmpty(document.Security!);
        var json = JsonDocument.Parse(text).RootElement.GetProperty("paths");
        var image = json.GetProperty("/v1/jobs/{jobId}/images/{itemId}").GetProperty("get");
        Assert.Contains("variant", image.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        Assert.Empty(image.GetProperty("security")[0].EnumerateObject());
        // Bodies and their schemas: both forms of submission, and the typed answers.
        var submit = json.GetProperty("/v1/jobs").GetProperty("post");
        var bodies = submit.GetProperty("requestBody").GetProperty("content").EnumerateObject().Select(c => c.Name).ToList();
        Assert.Contains("application/json", bodies);
        Assert.Contains("multipart/form-data", bodies);
        Assert.True(submit.GetProperty("responses").TryGetProperty("202", out _));
        Assert.True(json.GetProperty("/v1/jobs/{jobId}").GetProperty("get").GetProperty("responses").GetProperty("200")
            .GetProperty("content").TryGetProperty("application/json", out _));
    }

    [Fact]
    public async Task The_reference_page_loads_only_what_the_gateway_serves()
    {
        using var anonymous = cluster.Anonymous();
        using var response = await anonymous.GetAsync("/scalar");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await response.Content.ReadAsStringAsync();

        Assert.DoesNotMatch(AbsoluteUrl(), page);
        var assets = AssetReference().Matches(page).Select(m => m.Groups["url"].Value).ToList();
        Assert.NotEmpty(assets);
        foreach (var asset in assets)
        {
            using var served = await anonymous.GetAsync(new Uri(new Uri(cluster.GatewayUrl + "/scalar/"), asset));
            Assert.True(served.IsSuccessStatusCode, $"{asset}: {(int)served.StatusCode}");
        }
    }

    /// <summary>A route pattern as OpenAPI writes its path: parameters without their constraints, no trailing slash.</summary>
    static string DocumentPathOf(string pattern)
    {
        var path = RouteParameter().Replace(pattern, m => $"{{{m.Groups["name"].Value}}}");
        return path.Length > 1 ? path.TrimEnd('/') : path;
    }

    [GeneratedRegex(@"\{\*{0,2}(?<name>[A-Za-z0-9_]+)[^}]*\}")]
    private static partial Regex RouteParameter();

    [GeneratedRegex(@"(https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}")]
    private static partial Regex AbsoluteUrl();

    [GeneratedRegex(@"(?:src|href)\s*=\s*""(?<url>[^""]+)""")]
    private static partial Regex AssetReference();
}
