using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImageBus.Contracts;
using ImageBus.Imaging;
using ImageBus.Testing;
using Microsoft.Extensions.Options;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary>A job's images through the real gateway: each stored rendition with its type and size, cached by a strong ETag
/// (304 on a match), bad variants listed, another tenant's images not found; signed links cover every variant.</summary>
public sealed class JobImageTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(90);
    readonly ImageBusCluster cluster = fixture.Cluster;
    readonly VipsImageProcessor processor = new(Options.Create(new ImagingOptions()));

    [Fact]
    public async Task Each_variant_is_served_as_its_type_and_size_with_a_strong_etag_and_immutable_caching()
    {
        var request = SampleCases.Small(ImageBusCluster.DefaultTenant, 1);
        request["imageSize"] = 640;
        request["items"]![0]!["aspectRatio"] = "16:9";
        var jobId = await cluster.SubmitAsync(request);
        var status = await cluster.WaitForJobAsync(jobId, JobTimeout, JobStatuses.Completed);
        var path = $"/v1/jobs/{jobId}/images/item-1";
        var thumbnailEdge = new ImagingOptions().ThumbnailSize;

        (string Query, ImageFormat Format, string ContentType, int LongEdge)[] variants =
        [
            ("", ImageFormat.Jpeg, "image/jpeg", 640), ("?variant=full", ImageFormat.Jpeg, "image/jpeg", 640),
            ("?variant=webp", ImageFormat.Webp, "image/webp", 640), ("?variant=thumb", ImageFormat.Jpeg, "image/jpeg", thumbnailEdge),
        ];
        var tags = new Dictionary<string, string>();
        foreach (var (query, format, contentType, longEdge) in variants)
        {
            using var response = await cluster.Gateway.GetAsync(path + query);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            var info = processor.Inspect(bytes);
            Assert.Equal((format, longEdge), (info.Format, Math.Max(info.Width, info.Height)));
            // Every pixel decodes, not only the header.
            Assert.NotNull(processor.Process(bytes, 32, 32));

            var tag = response.Headers.ETag;
            Assert.NotNull(tag);
            Assert.False(tag.IsWeak);
            Assert.Equal(TimeSpan.FromDays(365), response.Headers.CacheControl?.MaxAge);
            Assert.True(response.Headers.CacheControl!.Private);
            Assert.Contains("immutable", response.Headers.CacheControl.Extensions.Select(e => e.Name));
            tags[query] = tag.Tag;

            // The same ETag again: 304, no body, the same validators.
            using var again = new HttpRequestMessage(HttpMethod.Get, path + query);
            again.Headers.IfNoneMatch.Add(tag);
            using var notModified = await cluster.Gateway.SendAsync(again);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
            Assert.Equal(tag, notModified.Headers.ETag);
            Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        }

        // The default is the full JPEG; each rendition has a tag of its own, stable from one request to the next.
        Assert.Equal(tags[""], tags["?variant=full"]);
        Assert.Equal(3, tags.Values.Distinct().Count());
        using var stale = new HttpRequestMessage(HttpMethod.Get, path + "?variant=webp");
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(tags["?variant=thumb"]));
        Assert.Equal(HttpStatusCode.OK, (await cluster.Gateway.SendAsync(stale)).StatusCode);

        // The status answer's signed link, with a variant appended, needs no key (what the dashboard's <img> uses).
        var signed = status.Images().Single().GetProperty("url").GetString()!;
        using var anonymous = cluster.Anonymous();
        using var thumbnail = await anonymous.GetAsync(signed + "&variant=thumb");
        Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);
        var small = processor.Inspect(await thumbnail.Content.ReadAsByteArrayAsync());
        Assert.Equal(thumbnailEdge, Math.Max(small.Width, small.Height));
        Assert.Equal(tags["?variant=thumb"], thumbnail.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task An_unknown_variant_is_a_problem_listing_the_allowed_ones_and_another_tenant_finds_nothing()
    {
        var jobId = await cluster.SubmitAsync(SampleCases.Small(ImageBusCluster.DefaultTenant, 1));
        await cluster.WaitForJobAsync(jobId, JobTimeout, JobStatuses.Completed);
        var path = $"/v1/jobs/{jobId}/images/item-1";

        using var bad = await cluster.Gateway.GetAsync(path + "?variant=png");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("must be one of full, webp, thumb", problem.GetProperty("errors").GetProperty("variant")[0].GetString());

        var other = await cluster.ClientForTenantAsync($"other-{Guid.NewGuid():N}"[..20]);
        foreach (var variant in new[] { "full", "webp", "thumb" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"{path}?variant={variant}")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await cluster.Gateway.GetAsync($"/v1/jobs/{jobId}/images/item-9?variant=thumb")).StatusCode);
    }
}
