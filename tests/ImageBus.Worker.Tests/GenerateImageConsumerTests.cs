using System.Security.Cryptography;
using ImageBus.Contracts;
using ImageBus.FakeGemini;
using ImageBus.Gemini;
using ImageBus.Imaging;
using ImageBus.Storage;
using ImageBus.Worker.Generation;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ImageBus.Worker.Tests;

/// <summary>The real consumer on the MassTransit test harness, with the real FakeGemini, libvips, PostgreSQL and
/// filesystem blob store.</summary>
public sealed class GenerateImageConsumerTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>, IAsyncLifetime
{
    private ServiceProvider services = null!;
    private ITestHarness harness = null!;

    public async Task InitializeAsync()
    {
        services = fixture.Services();
        harness = services.GetRequiredService<ITestHarness>();
        await harness.Start();
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    [Fact]
    public async Task A_generated_image_is_stored_as_its_jpeg_alone_and_reported_with_its_size_tokens_and_cost()
    {
        var command = WorkerFixture.Command("a lighthouse at dusk");

        var generated = Assert.IsType<ImageGenerated>(await WorkerFixture.ProcessAsync(harness, command));

        Assert.Equal((512, 288), (generated.Width, generated.Height));
        Assert.Equal(WorkerFixture.Model, generated.Model);
        Assert.Equal(BlobKeys.ForImage(command.TenantId, command.JobId, command.Item.ItemId, 1, "image.jpg"), generated.Location);
        // FakeGemini bills a token a word of the prompt and 1290 per image, as Gemini does.
        Assert.Equal((4, 1290, 1294), (generated.PromptTokens, generated.CandidatesTokens, generated.TotalTokens));
        Assert.Equal(WorkerFixture.PricePerImage, generated.EstimatedCostUsd);
        // The WebP and the thumbnail are the gateway's to make, on first request: nothing but the JPEG delays the result.
        Assert.Equal([Variant(command, "image.jpg")], fixture.FilesOf(command));

        var images = services.GetRequiredService<IImageProcessor>();
        var jpeg = await File.ReadAllBytesAsync(Path.Combine(fixture.StorageRoot, generated.Location));
        Assert.Equal(new ImageInfo(ImageFormat.Jpeg, 512, 288), images.Inspect(jpeg));
        Assert.Equal(generated.SizeBytes, jpeg.Length);
    }

    [Fact]
    public async Task A_permanent_gemini_error_is_reported_with_its_code_at_once()
    {
        var failed = Assert.IsType<ImageGenerationFailed>(
            await WorkerFixture.ProcessAsync(harness, WorkerFixture.Command("a lighthouse [fake:error=400]")));

        Assert.Equal(("INVALID_ARGUMENT", false, 1), (failed.ErrorCode, failed.Transient, failed.Calls));
    }

    [Fact]
    public async Task A_corrupt_image_is_asked_for_once_more_then_failed_as_invalid()
    {
        var command = WorkerFixture.Command("a lighthouse [fake:corrupt]");

        var failed = Assert.IsType<ImageGenerationFailed>(await WorkerFixture.ProcessAsync(harness, command));

        Assert.Equal((WorkerErrorCodes.InvalidImage, false, 2), (failed.ErrorCode, failed.Transient, failed.Calls));
        Assert.Empty(fixture.FilesOf(command));
    }

    [Fact]
    public async Task A_command_delivered_again_after_its_image_was_made_is_acknowledged_without_a_second_call()
    {
        var command = WorkerFixture.Command("a lighthouse in fog");
        Assert.IsType<ImageGenerated>(await WorkerFixture.ProcessAsync(harness, command));

        await harness.Bus.Publish(command);

        await AssertOneCallAndOneResultAsync(command, generated: 1, failed: 0);
        Assert.Equal([Variant(command, "image.jpg")], fixture.FilesOf(command));
    }

    /// <summary>As when a broker node goes while the first delivery is at Gemini and RabbitMQ hands the command to
    /// another consumer: the second delivery waits for the first's claim, then finds the attempt answered.</summary>
    [Fact]
    public async Task Two_deliveries_of_one_image_at_once_make_one_gemini_call_and_one_result()
    {
        var command = WorkerFixture.Command("a lighthouse in a gale [fake:latency=1500]");

        await harness.Bus.Publish(command);
        await harness.Bus.Publish(command);

        await AssertOneCallAndOneResultAsync(command, generated: 1, failed: 0);
    }

    /// <summary>A failure published is an answer as much as an image: a second delivery makes no call and no second result.</summary>
    [Fact]
    public async Task A_delivery_that_answers_with_a_failure_marks_the_attempt_answered_too()
    {
        var command = WorkerFixture.Command("a lighthouse [fake:error=400]");
        Assert.IsType<ImageGenerationFailed>(await WorkerFixture.ProcessAsync(harness, command));

        await harness.Bus.Publish(command);

        await AssertOneCallAndOneResultAsync(command, generated: 0, failed: 1);
    }

    /// <summary>Once both deliveries of <paramref name="command"/> were consumed: one Gemini call for it, and its one result.</summary>
    async Task AssertOneCallAndOneResultAsync(GenerateImage command, int generated, int failed)
    {
        await ConsumedAsync(command, times: 2);
        Assert.Single(fixture.GeminiRequests.GenerateContent, r => r.Prompt == command.Item.Prompt);
        Assert.Equal(generated, harness.Published.Select<ImageGenerated>(m => m.Context.Message.ItemId == command.Item.ItemId).Count());
        Assert.Equal(failed, harness.Published.Select<ImageGenerationFailed>(m => m.Context.Message.ItemId == command.Item.ItemId).Count());
    }

    async Task ConsumedAsync(GenerateImage command, int times)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (harness.Consumed.Select<GenerateImage>(m => m.Context.Message.Item.ItemId == command.Item.ItemId).Count() < times)
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, $"{command.Item.ItemId} was not consumed {times} times");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task An_image_of_a_cancelled_job_is_skipped_without_calling_gemini()
    {
        var command = WorkerFixture.Command("a lighthouse [fake:error=500]");
        await fixture.InsertJobAsync(command.JobId, "Cancelled");

        var failed = Assert.IsType<ImageGenerationFailed>(await WorkerFixture.ProcessAsync(harness, command));

        // [fake:error=500] would have answered INTERNAL after retries had Gemini been called.
        Assert.Equal((WorkerErrorCodes.Cancelled, false, 0), (failed.ErrorCode, failed.Transient, failed.Calls));
        Assert.Empty(fixture.FilesOf(command));
    }

    [Fact]
    public async Task An_image_of_a_running_job_is_generated()
    {
        var command = WorkerFixture.Command("a lighthouse at noon");
        await fixture.InsertJobAsync(command.JobId, "Generating");

        Assert.IsType<ImageGenerated>(await WorkerFixture.ProcessAsync(harness, command));
    }

    [Fact]
    public async Task A_source_image_on_an_internal_address_is_refused_before_any_connection()
    {
        // Loopback beyond 127.0.0.1 (the only allowlisted address here) is refused like any internal address.
        var failed = Assert.IsType<ImageGenerationFailed>(
            await WorkerFixture.ProcessAsync(harness, WorkerFixture.Command("restore it", "http://127.0.0.2:9/photo.png")));

        Assert.Equal((WorkerErrorCodes.SourceImageInvalid, false, 0), (failed.ErrorCode, failed.Transient, failed.Calls));
        Assert.Contains("internal address", failed.Message);
    }

    [Fact]
    public async Task The_source_image_goes_to_gemini_with_the_prompt()
    {
        const string Prompt = "make it look like an old photograph";
        var red = WorkerFixture.Command(Prompt, $"{fixture.SourcesUrl}/red.png");
        var blue = WorkerFixture.Command(Prompt, $"{fixture.SourcesUrl}/blue.png");
        var none = WorkerFixture.Command(Prompt);

        var outputs = new List<string>();
        foreach (var command in new[] { red, blue, none })
        {
            var generated = Assert.IsType<ImageGenerated>(await WorkerFixture.ProcessAsync(harness, command));
            outputs.Add(Convert.ToHexString(await File.ReadAllBytesAsync(Path.Combine(fixture.StorageRoot, generated.Location))));
        }

        // FakeGemini paints from everything it was sent: same prompt, different source, different picture.
        Assert.Equal(3, outputs.Distinct().Count());
    }

    [Fact]
    public async Task An_uploaded_source_image_is_read_from_the_blob_store_and_goes_to_gemini_as_it_is()
    {
        var key = BlobKeys.ForUpload("tenant-a");
        await services.GetRequiredService<IBlobStore>().PutAsync(key, WorkerFixture.BluePng, "image/png", default);
        var command = WorkerFixture.Command($"restore {Guid.NewGuid():N}");
        command = command with { Item = command.Item with { SourceImageKey = key } };

        Assert.IsType<ImageGenerated>(await WorkerFixture.ProcessAsync(harness, command));

        var call = Assert.Single(fixture.GeminiRequests.GenerateContent, r => r.Prompt == command.Item.Prompt);
        Assert.Equal([new FakeInlineData("image/png", WorkerFixture.BluePng.Length, Convert.ToHexString(SHA256.HashData(WorkerFixture.BluePng)))],
            call.InlineData);
    }

    [Fact]
    public async Task A_missing_upload_fails_the_image_before_gemini_is_called()
    {
        var command = WorkerFixture.Command("restore it [fake:error=500]");
        command = command with { Item = command.Item with { SourceImageKey = BlobKeys.ForUpload("tenant-a") } };

        var failed = Assert.IsType<ImageGenerationFailed>(await WorkerFixture.ProcessAsync(harness, command));

        Assert.Equal((WorkerErrorCodes.SourceImageInvalid, false, 0), (failed.ErrorCode, failed.Transient, failed.Calls));
    }

    [Fact]
    public async Task The_job_s_model_makes_the_image_and_prices_it()
    {
        var command = WorkerFixture.Command($"a harbour {Guid.NewGuid():N}") with { Model = GeminiImageModels.Pro3 };

        var generated = Assert.IsType<ImageGenerated>(await WorkerFixture.ProcessAsync(harness, command));

        Assert.Equal((GeminiImageModels.Pro3, WorkerFixture.Pro3PricePerImage), (generated.Model, generated.EstimatedCostUsd));
        Assert.Equal(GeminiImageModels.Pro3, Assert.Single(fixture.GeminiRequests.GenerateContent, r => r.Prompt == command.Item.Prompt).Model);
    }

    [Theory]
    [InlineData(null, 1290)]
    [InlineData("512", 747)]
    public async Task An_item_s_tier_is_the_image_size_asked_of_gemini(string? tier, int outputTokens)
    {
        var command = WorkerFixture.Command("a lighthouse, small");
        command = command with { Item = command.Item with { ImageSize = tier } };

        var generated = Assert.IsType<ImageGenerated>(await WorkerFixture.ProcessAsync(harness, command));

        // FakeGemini bills Google's published 747 output tokens for a 512 image of 3.1 Flash Image, 1290 for a size
        // without a published figure (1K): a 512x288 image is asked at 1K unless its item asks for the 512 tier.
        Assert.Equal(outputTokens, generated.CandidatesTokens);
    }

    [Theory]
    [InlineData("/text", WorkerErrorCodes.SourceImageInvalid, false)]
    [InlineData("/missing.png", WorkerErrorCodes.SourceImageInvalid, false)]
    [InlineData("/huge.png", WorkerErrorCodes.SourceImageInvalid, false)]
    [InlineData("/overloaded.png", WorkerErrorCodes.SourceImageUnavailable, true)]
    public async Task An_unusable_source_image_fails_the_image_before_gemini_is_called(string path, string code, bool transient)
    {
        var failed = Assert.IsType<ImageGenerationFailed>(
            await WorkerFixture.ProcessAsync(harness, WorkerFixture.Command("restore it [fake:error=500]", fixture.SourcesUrl + path)));

        Assert.Equal((code, transient, 0), (failed.ErrorCode, failed.Transient, failed.Calls));
    }

    private static string Variant(GenerateImage command, string variant) =>
        Path.Combine(command.Item.ItemId, "attempt-1", variant);
}
