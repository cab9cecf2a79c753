using System.IO.Compression;
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
/// (304 on a match), bad variants listed, another tenant's images not found; signed links cover every variant. The job's
/// archive: every finished image and a manifest, for complete, partial and unfinished jobs.</summary>
public sealed class JobImageAndArchiveTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
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
            Assert.NotNull(processor.Render(bytes, 32, 32));

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

    [Fact]
    public async Task The_sample_case_s_archive_streams_its_14_jpegs_stored_as_they_are_and_a_manifest()
    {
        var jobId = await cluster.SubmitAsync(SampleCases.Detective(256));
        var status = await cluster.WaitForJobAsync(jobId, JobTimeout, JobStatuses.Completed);

        var (response, archive, manifest) = await DownloadAsync(cluster.Gateway, jobId);
        using (response)
        using (archive)
        {
            Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal($"{status.GetProperty("caseId").GetString()}-{jobId}.zip", DownloadName(response));
            // Streamed as it is written: chunked, no length known up front.
            Assert.True(response.Headers.TransferEncodingChunked);
            var jpegs = archive.Entries.Where(e => e.Name != "manifest.json").ToList();
            Assert.Equal(status.Images().Select(i => $"{i.GetProperty("itemId").GetString()}.jpg").Order(), jpegs.Select(e => e.FullName).Order());
            foreach (var entry in jpegs)
            {
                var bytes = await ReadAsync(entry);
                Assert.Equal(ImageFormat.Jpeg, processor.Inspect(bytes).Format);
                Assert.NotNull(processor.Render(bytes, 32, 32));
                // Not compressed again.
                Assert.True(entry.CompressedLength >= entry.Length, $"{entry.FullName} was compressed");
                Assert.Equal(bytes, await cluster.Gateway.GetByteArrayAsync($"/v1/jobs/{jobId}/images/{Path.GetFileNameWithoutExtension(entry.Name)}"));
            }

            Assert.Equal((jobId, JobStatuses.Completed, 14, 14), (manifest.GetProperty("jobId").GetGuid(), manifest.GetProperty("status").GetString(),
                manifest.GetProperty("counts").GetProperty("completed").GetInt32(), manifest.GetProperty("billing").GetProperty("deliveredImages").GetInt32()));
            Assert.Equal(status.GetProperty("caseId").GetString(), manifest.GetProperty("caseId").GetString());
            var items = manifest.GetProperty("items").EnumerateArray().ToList();
            Assert.Equal(14, items.Count);
            Assert.All(items, i => Assert.Equal(($"{i.GetProperty("itemId").GetString()}.jpg", ImageStatuses.Completed, 1),
                (i.GetProperty("fileName").GetString(), i.GetProperty("status").GetString(), i.GetProperty("attempt").GetInt32())));
            Assert.All(items, i => Assert.Equal(256, Math.Max(i.GetProperty("width").GetInt32(), i.GetProperty("height").GetInt32())));
        }
    }

    [Fact]
    public async Task A_partial_job_s_archive_lists_its_failed_items_without_files_and_another_tenant_finds_none()
    {
        var request = SampleCases.Detective(128).WithFault("[fake:error=400]", "ev-03", "loc-02").WithFault("[fake:safety]", "ev-07");
        var jobId = await cluster.SubmitAsync(request);
        await cluster.WaitForJobAsync(jobId, JobTimeout, JobStatuses.Partial);

        var (response, archive, manifest) = await DownloadAsync(cluster.Gateway, jobId);
        using (response)
        using (archive)
        {
            Assert.Equal(11, archive.Entries.Count(e => e.Name.EndsWith(".jpg", StringComparison.Ordinal)));
            Assert.DoesNotContain(archive.Entries, e => e.Name is "ev-03.jpg" or "ev-07.jpg" or "loc-02.jpg");
            Assert.Equal(JobStatuses.Partial, manifest.GetProperty("status").GetString());
            Assert.Equal(3, manifest.GetProperty("billing").GetProperty("refundableImages").GetInt32());
            var failed = manifest.GetProperty("items").EnumerateArray().Where(i => i.GetProperty("status").GetString() == ImageStatuses.Failed).ToList();
            Assert.Equal(["ev-03", "ev-07", "loc-02"], failed.Select(i => i.GetProperty("itemId").GetString()).Order());
            Assert.All(failed, i => Assert.Equal(JsonValueKind.Null, i.GetProperty("fileName").ValueKind));
            Assert.Equal(["IMAGE_SAFETY", "INVALID_ARGUMENT", "INVALID_ARGUMENT"], failed.Select(i => i.GetProperty("errorCode").GetString()).Order());
            Assert.All(failed, i => Assert.False(string.IsNullOrEmpty(i.GetProperty("error").GetString())));
        }

        var other = await cluster.ClientForTenantAsync($"other-{Guid.NewGuid():N}"[..20]);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/v1/jobs/{jobId}/archive.zip")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await cluster.Gateway.GetAsync($"/v1/jobs/{Guid.NewGuid()}/archive.zip")).StatusCode);
    }

    [Fact]
    public async Task A_job_with_no_image_yet_has_an_archive_of_just_its_manifest_under_a_safe_name()
    {
        var request = SampleCases.Small(ImageBusCluster.DefaultTenant, 2);
        var caseId = $"Fall 42/\"ü\"?{Guid.NewGuid():N}";
        request["caseId"] = caseId;
        foreach (var item in request["items"]!.AsArray())
        {
            item!["description"] = "slow [fake:latency=120000]";
        }

        var jobId = await cluster.SubmitAsync(request);
        await cluster.WaitForJobAsync(jobId, JobTimeout, JobStatuses.Generating);

        var (response, archive, manifest) = await DownloadAsync(cluster.Gateway, jobId);
        using (response)
        using (archive)
        {
            Assert.Equal(["manifest.json"], archive.Entries.Select(e => e.FullName));
            Assert.Equal(JobStatuses.Generating, manifest.GetProperty("status").GetString());
            Assert.All(manifest.GetProperty("items").EnumerateArray(), i => Assert.Equal(JsonValueKind.Null, i.GetProperty("fileName").ValueKind));
            // Each run of characters outside A-Z, a-z, 0-9, '.', '_', '-' is one '_'.
            Assert.Equal($"Fall_42_{caseId[^32..]}-{jobId}.zip", DownloadName(response));
        }

        await cluster.Gateway.PostAsync($"/v1/jobs/{jobId}/cancel", null);
    }

    static async Task<(HttpResponseMessage Response, ZipArchive Archive, JsonElement Manifest)> DownloadAsync(HttpClient client, Guid jobId)
    {
        var response = await client.GetAsync($"/v1/jobs/{jobId}/archive.zip");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var archive = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()), ZipArchiveMode.Read);
        var manifest = JsonDocument.Parse(await ReadAsync(archive.GetEntry("manifest.json")!)).RootElement;
        return (response, archive, manifest);
    }

    static async Task<byte[]> ReadAsync(ZipArchiveEntry entry)
    {
        await using var content = await entry.OpenAsync();
        using var copy = new MemoryStream();
        await content.CopyToAsync(copy);
        return copy.ToArray();
    }

    static string? DownloadName(HttpResponseMessage response) =>
        response.Content.Headers.ContentDisposition is { DispositionType: "attachment" } disposition ? disposition.FileName?.Trim('"') : null;
}
