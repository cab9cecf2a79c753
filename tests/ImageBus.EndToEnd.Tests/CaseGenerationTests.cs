using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageBus.Contracts;
using ImageBus.Imaging;
using ImageBus.Jobs;
using ImageBus.Testing;
using Microsoft.Extensions.Options;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary>A whole case through gateway, orchestrator, workers and notifier, as processes on the
/// real RabbitMQ, PostgreSQL and FakeGemini.</summary>
public sealed class CaseGenerationTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(90);
    readonly ImageBusCluster cluster = fixture.Cluster;

    [Fact]
    public async Task A_14_image_case_completes_with_every_image_stored_and_every_event_posted()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        const int size = 512;

        var jobId = await cluster.SubmitAsync(SampleCases.Detective(size, receiver.Url));
        var status = await cluster.WaitForJobAsync(jobId, JobTimeout);

        Assert.Equal(JobStatuses.Completed, status.GetProperty("status").GetString());
        Assert.Equal(14, status.GetProperty("counts").GetProperty("completed").GetInt32());
        var images = status.Images().ToList();
        Assert.Equal(14, images.Count);
        Assert.Equal(10, images.Count(i => i.GetProperty("kind").GetString() == ImageKinds.Evidence));
        Assert.Equal(4, images.Count(i => i.GetProperty("kind").GetString() == ImageKinds.Location));

        var processor = new VipsImageProcessor(Options.Create(new ImagingOptions()));
        using var anonymous = cluster.Anonymous();
        foreach (var image in images)
        {
            var itemId = image.GetProperty("itemId").GetString()!;
            var (width, height) = ImageDimensions.For(AspectRatioOf(itemId), size);
            var file = Path.Combine(cluster.StorageRoot, ImageBusCluster.DefaultTenant, jobId.ToString("N"), itemId, "attempt-1", "image.jpg");
            var bytes = await File.ReadAllBytesAsync(file);
            var info = processor.Inspect(bytes);
            Assert.Equal((ImageFormat.Jpeg, width, height), (info.Format, info.Width, info.Height));
            // Decoding every pixel (not only the header) proves the file is a whole JPEG.
            Assert.NotNull(processor.Render(bytes, 64, 64));

            // The status answer's link is signed: it needs no key.
            var served = await anonymous.GetByteArrayAsync(image.GetProperty("url").GetString());
            Assert.Equal(bytes, served);
        }

        var completed = await receiver.WaitForAsync(w => w.JobId == jobId && w.Type == "job.completed", TimeSpan.FromSeconds(30));
        Assert.Equal(14, completed.Json.GetProperty("data").GetProperty("images").GetArrayLength());
        await receiver.WaitForAsync(w => w.JobId == jobId && w.Type == "job.accepted", TimeSpan.FromSeconds(10));
        var posts = receiver.Received.Where(w => w.JobId == jobId).ToList();
        Assert.Equal(14, posts.Count(w => w.Type == "image.completed"));
        Assert.Contains(posts, w => w.Type == "job.started");
        var sequences = posts.Select(w => w.Sequence).Order().ToList();
        Assert.Equal(Enumerable.Range(1, sequences.Count).Select(i => (long)i), sequences);
    }

    [Fact]
    public async Task Items_Gemini_refuses_fail_and_the_job_ends_partial_with_exactly_those_failed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var request = SampleCases.Detective(256, receiver.Url)
            .WithFault("[fake:error=400]", "ev-03", "loc-02")
            .WithFault("[fake:safety]", "ev-07");

        var jobId = await cluster.SubmitAsync(request);
        var status = await cluster.WaitForJobAsync(jobId, JobTimeout);

        Assert.Equal(JobStatuses.Partial, status.GetProperty("status").GetString());
        var failed = status.Images().Where(i => i.GetProperty("status").GetString() == ImageStatuses.Failed)
            .ToDictionary(i => i.GetProperty("itemId").GetString()!, i => i.GetProperty("errorCode").GetString());
        Assert.Equal(["ev-03", "ev-07", "loc-02"], failed.Keys.Order());
        Assert.Equal("INVALID_ARGUMENT", failed["ev-03"]);
        Assert.Equal("IMAGE_SAFETY", failed["ev-07"]);
        Assert.Equal(11, status.Images().Count(i => i.GetProperty("status").GetString() == ImageStatuses.Completed));

        var partial = await receiver.WaitForAsync(w => w.JobId == jobId && w.Type == "job.partially_completed", TimeSpan.FromSeconds(30));
        Assert.Equal(3, partial.Json.GetProperty("data").GetProperty("counts").GetProperty("failed").GetInt32());
        Assert.Equal(3, receiver.Received.Count(w => w.JobId == jobId && w.Type == "image.failed"));
    }

    [Fact]
    public async Task An_invalid_case_is_refused_with_problem_details_listing_every_error()
    {
        var request = new
        {
            caseId = "case-1",
            items = new object[]
            {
                new { itemId = "a", kind = "evidence", name = "Knife", description = "A knife" },
                new { itemId = "a", kind = "weapon", name = "Rope", description = "A rope", aspectRatio = "7:5" },
                new { itemId = "c", kind = "custom", name = "Map" },
            },
        };

        using var response = await cluster.Gateway.PostAsJsonAsync("/v1/jobs", request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var errors = problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order().ToList();
        Assert.Equal(["items[1].aspectRatio", "items[1].itemId", "items[1].kind", "items[2].prompt"], errors);
    }

    [Theory]
    [InlineData("{\"tenantId\": \"t\", \"caseId\": \"c\", \"imageSize\": \"big\", \"items\": []}", "imageSize")]
    [InlineData("{\"tenantId\": \"t\", \"caseId\": \"c\", \"items\": [{\"itemId\": 7}]}", "items[0].itemId")]
    [InlineData("{\"tenantId\": \"t\", \"caseId\": ", "caseId")]
    [InlineData("not json", "body")]
    public async Task A_body_that_cannot_be_read_is_refused_naming_the_field(string body, string field)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await cluster.Gateway.PostAsync("/v1/jobs", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var messages), problem.ToString());
        Assert.DoesNotContain("System.", messages[0].GetString());
    }

    [Fact]
    public async Task A_request_without_a_key_is_refused_with_problem_details_and_a_bearer_challenge()
    {
        using var anonymous = cluster.Anonymous();
        using var response = await anonymous.GetAsync("/v1/webhooks/endpoints");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task An_unknown_job_is_not_found()
    {
        using var response = await cluster.Gateway.GetAsync($"/v1/jobs/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    static string? AspectRatioOf(string itemId)
    {
        var sample = SampleCases.Detective(512)["items"]!.AsArray().Single(i => (string?)i!["itemId"] == itemId)!;
        return (string?)sample["aspectRatio"];
    }
}
