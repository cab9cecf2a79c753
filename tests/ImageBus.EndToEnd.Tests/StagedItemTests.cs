using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImageBus.Contracts;
using ImageBus.Testing;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary>The cluster of <see cref="StagedItemTests"/>: the analysis model priced (an output-only price large enough to
/// show in the estimate), so that the estimate is seen to count the analysis call.</summary>
public sealed class StagedClusterFixture : IAsyncLifetime
{
    public const decimal AnalysisOutputPerMillion = 100_000m;

    ImageBusCluster? cluster;

    public ImageBusCluster Cluster => cluster ?? throw new InvalidOperationException("the cluster has not started");

    public async Task InitializeAsync() => cluster = await ImageBusCluster.StartAsync(new Dictionary<string, string>
    {
        [$"Gemini__Prices__{AnalysisModel}__OutputPerMillionTokens"] = "100000",
        // Step 1's retries quick, so a transient analysis failure ends the image within the test.
        ["Gemini__BaseBackoff"] = "00:00:00.050",
        ["Gemini__MaxBackoff"] = "00:00:00.200",
    });

    public const string AnalysisModel = "gemini-3.8-flash";

    public async Task DisposeAsync()
    {
        if (cluster is not null)
        {
            await cluster.DisposeAsync();
        }
    }
}

/// <summary>Staged items (vision → generation) through the gateway as a caller sends them, by URL and by upload: FakeGemini's
/// log shows the analysis call and then the generation call carrying its text, both with the source image; the image's
/// status, the event stream and the webhook carry the step and the analysis; a step-1 failure fails the image with no
/// generation call; billing counts both calls.</summary>
public sealed class StagedItemTests(StagedClusterFixture fixture) : IClassFixture<StagedClusterFixture>
{
    const string ImageModel = "gemini-3-pro-image";
    static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(120);
    readonly ImageBusCluster cluster = fixture.Cluster;

    [Fact]
    public async Task A_staged_item_is_generated_from_the_analysis_of_its_source_image_and_both_calls_are_billed()
    {
        await using var server = await ImageServer.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var source = SourceImageAndModelTests.Png(24, 16);
        var (tag, failingTag) = (Guid.NewGuid().ToString("N"), Guid.NewGuid().ToString("N"));
        var request = Job(
            Staged("harbour", $"the same harbour at night {tag}", server.Serve("/harbour.png", source, "image/png")),
            // A permanent step-1 failure: the image fails at once, without a generation call.
            Staged("refused", $"the same harbour at noon {failingTag} [fake:text-error=400]", server.Serve("/refused.png", source, "image/png")));
        request["webhookUrl"] = receiver.Url;

        var jobId = await cluster.SubmitAsync(request);
        var status = await cluster.WaitForJobAsync(jobId, JobTimeout);

        Assert.True(status.GetProperty("status").GetString() == JobStatuses.Partial, $"{status}\n{cluster.Diagnostics()}");
        var images = status.Images().ToDictionary(i => i.GetProperty("itemId").GetString()!);
        var harbour = images["harbour"];
        Assert.Equal((ImageStatuses.Completed, ImageSteps.Generating, 2), (harbour.GetProperty("status").GetString(),
            harbour.GetProperty("step").GetString(), harbour.GetProperty("billedCalls").GetInt32()));
        var analysis = harbour.GetProperty("analysis").GetString()!;
        Assert.Contains(tag, analysis, StringComparison.Ordinal);

        // FakeGemini's log: the analysis by the text model, then the image by the job's model from the analysis, both with the source.
        var calls = await FakeGeminiLog.CallsAsync(cluster, tag);
        Assert.Equal([StagedClusterFixture.AnalysisModel, ImageModel], calls.Select(c => c.Model));
        Assert.All(calls, c => Assert.Equal([FakeGeminiLog.Sent(source, "image/png")], c.InlineData));
        Assert.DoesNotContain(analysis, calls[0].Prompt, StringComparison.Ordinal);
        Assert.Contains(analysis, calls[1].Prompt, StringComparison.Ordinal);

        // The estimate prices both: the image by 3 Pro Image's tokens ($2 in, $120 out per million), the analysis by its text model's.
        var expected = (Words(calls[1].Prompt) * 2m + 1120 * 120m) / 1_000_000m + Words(analysis) * StagedClusterFixture.AnalysisOutputPerMillion / 1_000_000m;
        Assert.Equal(expected, harbour.GetProperty("estimatedCostUsd").GetDecimal());

        var refused = images["refused"];
        Assert.Equal((ImageStatuses.Failed, "ANALYSIS_INVALID_ARGUMENT", ImageSteps.Analysing, 0),
            (refused.GetProperty("status").GetString(), refused.GetProperty("errorCode").GetString(), refused.GetProperty("step").GetString(),
             refused.GetProperty("billedCalls").GetInt32()));
        Assert.Equal([StagedClusterFixture.AnalysisModel], (await FakeGeminiLog.CallsAsync(cluster, failingTag)).Select(c => c.Model));
        Assert.Equal((1, 1, 1, 2), Billing(status.GetProperty("billing")));

        // The event stream and the webhook carry the step with its analysis, before the image's own event.
        var stream = await EventStream.ReadAsync(cluster.Gateway, jobId, lastEventId: null);
        var step = JsonDocument.Parse(Assert.Single(stream, e => e.Type == WebhookEventTypes.ImageStepCompleted).Data).RootElement.GetProperty("data");
        Assert.Equal((analysis, "harbour", ImageSteps.Generating), (step.GetProperty("analysis").GetString(),
            step.GetProperty("image").GetProperty("itemId").GetString(), step.GetProperty("image").GetProperty("step").GetString()));
        Assert.True(stream.FindIndex(e => e.Type == WebhookEventTypes.ImageStepCompleted)
            < stream.FindIndex(e => e.Type == WebhookEventTypes.ImageCompleted), string.Join(", ", stream.Select(e => e.Type)));
        var webhook = await receiver.WaitForAsync(w => w.JobId == jobId && w.Type == WebhookEventTypes.ImageStepCompleted, TimeSpan.FromSeconds(30));
        Assert.Equal(analysis, webhook.Json.GetProperty("data").GetProperty("analysis").GetString());
        var final = await receiver.WaitForAsync(w => w.JobId == jobId && w.Type == WebhookEventTypes.JobPartiallyCompleted, TimeSpan.FromSeconds(30));
        Assert.Equal((1, 1, 1, 2), Billing(final.Json.GetProperty("data").GetProperty("billing")));
    }

    [Fact]
    public async Task An_uploaded_source_image_reaches_both_steps()
    {
        var photo = SourceImageAndModelTests.Jpeg(32, 20);
        var tag = Guid.NewGuid().ToString("N");

        using var response = await cluster.Gateway.PostAsync("/v1/jobs", SourceImageAndModelTests.Multipart(
            Job(Staged("letter", $"the same letter, a century older {tag}", sourceImageUrl: null, sourceImageUpload: "scan")),
            jobAsFile: true, ("scan", photo)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var jobId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("jobId").GetGuid();
        var status = await cluster.WaitForJobAsync(jobId, JobTimeout);

        Assert.True(status.GetProperty("status").GetString() == JobStatuses.Completed, $"{status}\n{cluster.Diagnostics()}");
        var calls = await FakeGeminiLog.CallsAsync(cluster, tag);
        Assert.Equal([StagedClusterFixture.AnalysisModel, ImageModel], calls.Select(c => c.Model));
        Assert.All(calls, c => Assert.Equal([FakeGeminiLog.Sent(photo, "image/jpeg")], c.InlineData));
        Assert.Contains(status.Images().Single().GetProperty("analysis").GetString()!, calls[1].Prompt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_staged_item_without_a_usable_source_image_is_refused_naming_its_field_once()
    {
        using var json = await cluster.Gateway.PostAsJsonAsync("/v1/jobs", Job(Staged("a", "night", sourceImageUrl: null)));
        using var upload = await cluster.Gateway.PostAsync("/v1/jobs", SourceImageAndModelTests.Multipart(
            Job(Staged("a", "night", sourceImageUrl: null, sourceImageUpload: "scan")), jobAsFile: false, ("scan", "not an image"u8.ToArray())));

        Assert.Equal(["items[0].sourceImageUrl"], await ProblemFieldsAsync(json));
        // The upload's own problem, not "a source image is required" besides.
        Assert.Equal(["items[0].sourceImageUpload"], await ProblemFieldsAsync(upload));
    }

    static JsonObject Job(params JsonObject[] items) => new()
    {
        ["caseId"] = $"case-{Guid.NewGuid():N}",
        ["model"] = ImageModel,
        ["imageSize"] = 128,
        ["items"] = new JsonArray(items),
    };

    static JsonObject Staged(string itemId, string prompt, string? sourceImageUrl, string? sourceImageUpload = null) => new()
    {
        ["itemId"] = itemId,
        ["kind"] = ImageKinds.Staged,
        ["name"] = itemId,
        ["prompt"] = prompt,
        ["sourceImageUrl"] = sourceImageUrl,
        ["sourceImageUpload"] = sourceImageUpload,
    };

    // FakeGemini's token count: a token a word.
    static int Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;

    static (int Billed, int Delivered, int Refundable, int Calls) Billing(JsonElement billing) => (
        billing.GetProperty("billedImages").GetInt32(), billing.GetProperty("deliveredImages").GetInt32(),
        billing.GetProperty("refundableImages").GetInt32(), billing.GetProperty("billedCalls").GetInt32());

    static async Task<string[]> ProblemFieldsAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
        return [.. JsonDocument.Parse(body).RootElement.GetProperty("errors").EnumerateObject().Select(p => p.Name)];
    }
}
