using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImageBus.Contracts;
using ImageBus.Testing;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary>Source images (by URL and uploaded) and per-job models and per-item size tiers, through the gateway as a
/// caller uses them, checked at FakeGemini's end by its request log (<c>GET /fake/requests</c>).</summary>
public sealed class SourceImageAndModelTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    const string TenantId = "sources-tenant";
    const string RefusedTenantId = "refused-tenant";
    static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(90);
    readonly ImageBusCluster cluster = fixture.Cluster;

    [Fact]
    public async Task A_source_image_url_is_fetched_once_per_attempt_and_reaches_gemini_byte_for_byte()
    {
        await using var server = await ImageServer.StartAsync();
        var (first, second) = (Png(24, 16), Png(16, 24));
        var tag = Guid.NewGuid().ToString("N");
        var request = Job(
            // One transient Gemini failure: retried within the attempt, which fetches once.
            Item("a", $"restore {tag} a [fake:fail-first=1:503]", sourceImageUrl: server.Serve("/a.png", first, "image/png")),
            // One permanent failure: the image fails, and its retry is a second attempt that fetches again.
            Item("b", $"restore {tag} b [fake:fail-first=1:400]", sourceImageUrl: server.Serve("/b.png", second, "image/png")));

        var jobId = await cluster.SubmitAsync(request);
        Assert.Equal(JobStatuses.Partial, Status(await cluster.WaitForJobAsync(jobId, JobTimeout)));
        (await (await Client()).PostAsync($"/v1/jobs/{jobId}/retry", null)).EnsureSuccessStatusCode();
        var status = await cluster.WaitForJobAsync(jobId, JobTimeout, JobStatuses.Completed);

        Assert.Equal([("a", 1), ("b", 2)], status.Images().Select(i => (i.GetProperty("itemId").GetString(), i.GetProperty("attempt").GetInt32())));
        Assert.Equal((1, 2), (server.Hits("/a.png"), server.Hits("/b.png")));
        var calls = await GeminiCallsAsync(tag);
        Assert.Equal(4, calls.Count);
        Assert.All(calls.Where(c => c.Prompt.Contains($"{tag} a", StringComparison.Ordinal)), c => Assert.Equal([Sent(first, "image/png")], c.InlineData));
        Assert.All(calls.Where(c => c.Prompt.Contains($"{tag} b", StringComparison.Ordinal)), c => Assert.Equal([Sent(second, "image/png")], c.InlineData));
    }

    [Fact]
    public async Task An_uploaded_source_image_is_stored_for_the_tenant_and_reaches_gemini_byte_for_byte()
    {
        var photo = Jpeg(32, 20);
        var tag = Guid.NewGuid().ToString("N");
        var request = Job(Item("a", $"enhance {tag}", sourceImageUpload: "photo"), Item("b", $"enhance {tag} again", sourceImageUpload: "photo"));

        using var response = await (await Client()).PostAsync("/v1/jobs", Multipart(request, jobAsFile: true, ("photo", photo)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var jobId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("jobId").GetGuid();
        Assert.Equal(JobStatuses.Completed, Status(await cluster.WaitForJobAsync(jobId, JobTimeout)));

        var calls = await GeminiCallsAsync(tag);
        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.Equal([Sent(photo, "image/jpeg")], c.InlineData));
        // Both items named the same part: one upload, under the tenant's upload prefix.
        var stored = Assert.Single(Directory.GetFiles(Path.Combine(cluster.StorageRoot, TenantId, "uploads")));
        Assert.Equal(photo, await File.ReadAllBytesAsync(stored));
    }

    [Fact]
    public async Task A_job_asking_for_3_pro_image_is_made_and_priced_by_it_with_each_item_at_its_tier()
    {
        var tag = Guid.NewGuid().ToString("N");
        var request = Job(Item("default", $"poster {tag} 1"), Item("tiered", $"poster {tag} 2", aspectRatio: "16:9", imageSize: "2K"));
        request["model"] = "gemini-3-pro-image";
        request["imageSize"] = 256;

        var status = await cluster.WaitForJobAsync(await cluster.SubmitAsync(request), JobTimeout);

        Assert.Equal((JobStatuses.Completed, "gemini-3-pro-image"), (Status(status), status.GetProperty("model").GetString()));
        var images = status.Images().ToDictionary(i => i.GetProperty("itemId").GetString()!);
        Assert.Equal((256, 256), Size(images["default"]));
        Assert.Equal((2048, 1152), Size(images["tiered"]));
        Assert.All(images.Values, i => Assert.Equal("gemini-3-pro-image", i.GetProperty("model").GetString()));
        // Priced at 3 Pro Image's $120 per million output tokens (1,120 a 1K or 2K image); the default model has no price.
        Assert.All(images.Values, i => Assert.InRange(i.GetProperty("estimatedCostUsd").GetDecimal(), 0.134m, 0.135m));
        var calls = await GeminiCallsAsync(tag);
        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.Equal("gemini-3-pro-image", c.Model));
    }

    [Theory]
    [InlineData("gemini-3-pro-image", "1:8", "4K", "items[0].aspectRatio")]
    [InlineData("gemini-3-pro-image", "1:1", "512", "items[0].imageSize")]
    [InlineData("gemini-3.1-flash-lite-image", "21:9", "4K", "items[0].imageSize")]
    [InlineData("gemini-3.1-flash-lite-image", "8:1", "1K", "items[0].aspectRatio")]
    [InlineData("gemini-3.1-flash-image", "8:1", "3K", "items[0].imageSize")]
    [InlineData("gemini-9-ultra-image", "1:8", "512", "model")]
    public async Task A_model_size_or_ratio_the_model_does_not_offer_is_refused_with_each_problem(
        string model, string aspectRatio, string imageSize, string field)
    {
        var request = Job(Item("a", "a poster", aspectRatio: aspectRatio, imageSize: imageSize), Item("b", "a poster", aspectRatio: "7:5"));
        request["model"] = model;

        var errors = await ProblemsAsync(await (await Client()).PostAsJsonAsync("/v1/jobs", request));

        Assert.Equal(new[] { field, "items[1].aspectRatio" }.Order(StringComparer.Ordinal), errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Unusable_uploads_are_refused_with_every_problem_and_nothing_is_stored()
    {
        var request = Job(
            RefusedTenantId,
            Item("text", "x", sourceImageUpload: "notes"),
            Item("large", "x", sourceImageUpload: "large"),
            Item("pixels", "x", sourceImageUpload: "pixels"),
            Item("missing", "x", sourceImageUpload: "nowhere"),
            Item("both", "x", sourceImageUrl: "https://images.example.test/a.png", sourceImageUpload: "notes"),
            Item("fine", "x", sourceImageUpload: "fine"));
        var large = new byte[(20 * 1024 * 1024) + 1];
        Png(8, 8).CopyTo(large, 0);

        var errors = await ProblemsAsync(await (await cluster.ClientForTenantAsync(RefusedTenantId)).PostAsync("/v1/jobs", Multipart(request, jobAsFile: false,
            ("notes", "not an image"u8.ToArray()), ("large", large), ("pixels", WithJpegSize(Jpeg(16, 16), 10_000, 10_000)), ("fine", Png(8, 8)))));

        Assert.Equal(
            ["items[0].sourceImageUpload", "items[1].sourceImageUpload", "items[2].sourceImageUpload", "items[3].sourceImageUpload",
             "items[4].sourceImageUpload"],
            errors.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("not a PNG, JPEG or WebP", errors["items[0].sourceImageUpload"].Single(), StringComparison.Ordinal);
        Assert.Contains("over the limit of 20971520 bytes", errors["items[1].sourceImageUpload"].Single(), StringComparison.Ordinal);
        Assert.Contains("10000x10000 pixels", errors["items[2].sourceImageUpload"].Single(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(cluster.StorageRoot, RefusedTenantId)), "an upload of a refused case was stored");
    }

    [Fact]
    public async Task An_upload_named_in_a_json_submission_is_refused()
    {
        var errors = await ProblemsAsync(await (await Client()).PostAsJsonAsync("/v1/jobs", Job(Item("a", "x", sourceImageUpload: "photo"))));

        Assert.Contains("multipart/form-data", Assert.Single(errors["items[0].sourceImageUpload"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_multipart_submission_without_a_readable_job_part_is_refused()
    {
        using var withoutJob = new MultipartFormDataContent { { new ByteArrayContent(Png(8, 8)), "photo", "photo.png" } };
        using var badJob = new MultipartFormDataContent { { new StringContent("{\"tenantId\": "), "job" } };
        using var notJson = new MultipartFormDataContent { { new StringContent("not json"), "job" } };

        Assert.Equal(["job"], (await ProblemsAsync(await (await Client()).PostAsync("/v1/jobs", withoutJob))).Keys);
        // Named by the JSON path in the part, as a JSON body's problems are.
        Assert.Equal(["tenantId"], (await ProblemsAsync(await (await Client()).PostAsync("/v1/jobs", badJob))).Keys);
        Assert.Equal(["job"], (await ProblemsAsync(await (await Client()).PostAsync("/v1/jobs", notJson))).Keys);
    }

    /// <summary>A client with a key of <see cref="TenantId"/>, the tenant these cases name.</summary>
    Task<HttpClient> Client() => cluster.ClientForTenantAsync(TenantId);

    static JsonObject Job(params JsonObject[] items) => Job(TenantId, items);

    static JsonObject Job(string tenantId, params JsonObject[] items) => new()
    {
        ["tenantId"] = tenantId,
        ["caseId"] = $"case-{Guid.NewGuid():N}",
        ["imageSize"] = 128,
        ["items"] = new JsonArray(items),
    };

    static JsonObject Item(
        string itemId, string prompt, string? aspectRatio = null, string? imageSize = null, string? sourceImageUrl = null,
        string? sourceImageUpload = null) => new()
    {
        ["itemId"] = itemId,
        ["kind"] = ImageKinds.Custom,
        ["name"] = itemId,
        ["prompt"] = prompt,
        ["aspectRatio"] = aspectRatio,
        ["imageSize"] = imageSize,
        ["sourceImageUrl"] = sourceImageUrl,
        ["sourceImageUpload"] = sourceImageUpload,
    };

    /// <summary>The job's JSON in part <c>job</c> (a field, or a file as <c>curl -F job=@job.json</c> sends it), each
    /// file in a part of its own name.</summary>
    internal static MultipartFormDataContent Multipart(JsonObject job, bool jobAsFile, params (string Part, byte[] Bytes)[] files)
    {
        var form = new MultipartFormDataContent();
        if (jobAsFile)
        {
            form.Add(JsonContent.Create(job), "job", "job.json");
        }
        else
        {
            form.Add(JsonContent.Create(job), "job");
        }

        foreach (var (part, bytes) in files)
        {
            form.Add(new ByteArrayContent(bytes), part, $"{part}.bin");
        }

        return form;
    }

    static async Task<Dictionary<string, string[]>> ProblemsAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            return JsonDocument.Parse(body).RootElement.GetProperty("errors").EnumerateObject()
                .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(e => e.GetString()!).ToArray());
        }
    }

    Task<List<GeminiCall>> GeminiCallsAsync(string tag) => FakeGeminiLog.CallsAsync(cluster, tag);

    static SentImage Sent(byte[] bytes, string mimeType) => FakeGeminiLog.Sent(bytes, mimeType);

    static string? Status(JsonElement status) => status.GetProperty("status").GetString();

    static (int, int) Size(JsonElement image) => (image.GetProperty("width").GetInt32(), image.GetProperty("height").GetInt32());

    internal static byte[] Png(int width, int height)
    {
        using var image = NetVips.Image.Black(width, height);
        return image.PngsaveBuffer();
    }

    internal static byte[] Jpeg(int width, int height)
    {
        using var image = NetVips.Image.Black(width, height);
        return image.JpegsaveBuffer();
    }

    /// <summary>The JPEG with its frame header (SOF0) claiming another size: a header that declares more pixels than it has.</summary>
    static byte[] WithJpegSize(byte[] jpeg, int width, int height)
    {
        var sof = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xC0]);
        Assert.True(sof > 0, "no SOF0 frame header");
        var patched = jpeg.ToArray();
        (patched[sof + 5], patched[sof + 6]) = ((byte)(height >> 8), (byte)height);
        (patched[sof + 7], patched[sof + 8]) = ((byte)(width >> 8), (byte)width);
        return patched;
    }
}
