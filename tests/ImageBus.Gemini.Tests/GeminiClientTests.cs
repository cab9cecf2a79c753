using System.Diagnostics;

namespace ImageBus.Gemini.Tests;

/// <summary>The real HTTP client against the fake over loopback: answers and how each failure is classified.</summary>
public sealed class GeminiClientTests(FakeGeminiFixture fake) : IClassFixture<FakeGeminiFixture>
{
    [Theory]
    [InlineData(null, null, 1024, 1024)]
    [InlineData("16:9", "1K", 1024, 576)]
    [InlineData("9:16", "2K", 1152, 2048)]
    [InlineData("4:3", "4K", 4096, 3072)]
    public async Task Generates_a_png_sized_by_aspect_ratio_and_image_size(string? aspectRatio, string? imageSize, int width, int height)
    {
        var image = await fake.Client().GenerateImageAsync(
            new GeminiImageRequest(FakeGeminiFixture.Prompt(), aspectRatio, imageSize), CancellationToken.None);

        Assert.True(Png.HasSignature(image.Bytes));
        Assert.Equal((width, height), Png.Size(image.Bytes));
        Assert.Equal("image/png", image.MimeType);
        Assert.Equal("gemini-2.5-flash-image", image.ModelVersion);
        Assert.True(image.Usage?.TotalTokenCount > 0);
    }

    [Fact]
    public async Task Sends_the_configured_model()
    {
        var image = await fake.Client(("Gemini:Model", "gemini-3-pro-image-preview"))
            .GenerateImageAsync(new GeminiImageRequest(FakeGeminiFixture.Prompt()), CancellationToken.None);

        Assert.Equal("gemini-3-pro-image-preview", image.ModelVersion);
    }

    [Fact]
    public async Task Sends_the_source_image_for_edits()
    {
        var client = fake.Client();
        var prompt = FakeGeminiFixture.Prompt();

        // The fake paints from everything it receives, so a different source must give a different picture.
        var first = await client.GenerateImageAsync(new GeminiImageRequest(prompt, SourceImage: [1, 2, 3], SourceMimeType: "image/png"), default);
        var second = await client.GenerateImageAsync(new GeminiImageRequest(prompt, SourceImage: [4, 5, 6], SourceMimeType: "image/png"), default);
        var again = await client.GenerateImageAsync(new GeminiImageRequest(prompt, SourceImage: [1, 2, 3], SourceMimeType: "image/png"), default);

        Assert.NotEqual(first.Bytes, second.Bytes);
        Assert.Equal(first.Bytes, again.Bytes);
    }

    [Theory]
    [InlineData("[fake:error=429]", "RESOURCE_EXHAUSTED", 429)]
    [InlineData("[fake:error=500]", "INTERNAL", 500)]
    [InlineData("[fake:error=503]", "UNAVAILABLE", 503)]
    [InlineData("[fake:error=504]", "DEADLINE_EXCEEDED", 504)]
    public async Task Server_faults_are_transient(string marker, string code, int status)
    {
        var ex = await GenerateFailure(fake.Client(), marker);

        Assert.Equal(code, ex.ErrorCode);
        Assert.True(ex.IsTransient);
        Assert.Equal(status, ex.HttpStatus);
    }

    [Fact]
    public async Task Throttling_carries_the_servers_retry_delay()
    {
        var ex = await GenerateFailure(fake.Client(), "[fake:error=429]");

        Assert.Equal(TimeSpan.FromSeconds(1), ex.RetryAfter);
    }

    [Theory]
    [InlineData("[fake:error=400]", "INVALID_ARGUMENT", 400)]
    [InlineData("[fake:safety]", "IMAGE_SAFETY", 200)]
    [InlineData("[fake:blocked]", "PROHIBITED_CONTENT", 200)]
    [InlineData("[fake:nonsense]", "INVALID_ARGUMENT", 400)]
    public async Task Refusals_are_permanent(string marker, string code, int status)
    {
        var ex = await GenerateFailure(fake.Client(), marker);

        Assert.Equal(code, ex.ErrorCode);
        Assert.False(ex.IsTransient);
        Assert.Equal(status, ex.HttpStatus);
        Assert.Null(ex.RetryAfter);
    }

    [Fact]
    public async Task An_answer_without_an_image_deserves_one_retry()
    {
        var ex = await GenerateFailure(fake.Client(), "[fake:no-image]");

        Assert.Equal(GeminiErrorCodes.NoImage, ex.ErrorCode);
        Assert.True(ex.IsTransient);
        Assert.Equal(1, ex.MaxRetries);
    }

    [Fact]
    public async Task A_corrupt_image_is_passed_on_for_the_decoder_to_reject()
    {
        var image = await fake.Client().GenerateImageAsync(new GeminiImageRequest(FakeGeminiFixture.Prompt("[fake:corrupt]")), default);

        Assert.True(Png.HasSignature(image.Bytes));
        Assert.NotEqual("IHDR", System.Text.Encoding.ASCII.GetString(image.Bytes, 12, 4));
    }

    [Fact]
    public async Task A_rejected_key_is_permanent_and_never_repeated()
    {
        const string WrongKey = "wrong-key-Zk81";
        var ex = await GenerateFailure(fake.Client(("Gemini:ApiKey", WrongKey)), "");

        Assert.Equal(GeminiErrorCodes.ApiKeyInvalid, ex.ErrorCode);
        Assert.False(ex.IsTransient);
        Assert.Equal(400, ex.HttpStatus);
        Assert.DoesNotContain(WrongKey, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_model_is_permanent()
    {
        var ex = await GenerateFailure(fake.Client(("Gemini:Model", "gemini-0-nonexistent")), "");

        Assert.Equal(GeminiErrorCodes.NotFound, ex.ErrorCode);
        Assert.False(ex.IsTransient);
        Assert.Equal(404, ex.HttpStatus);
    }

    [Fact]
    public async Task A_hung_server_times_out_as_transient_after_the_call_timeout()
    {
        var client = fake.Client(("Gemini:CallTimeout", "00:00:01"));
        var clock = Stopwatch.StartNew();

        var ex = await GenerateFailure(client, "[fake:hang]");

        Assert.Equal(GeminiErrorCodes.Timeout, ex.ErrorCode);
        Assert.True(ex.IsTransient);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task The_callers_cancellation_is_not_a_gemini_failure()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            fake.Client().GenerateImageAsync(new GeminiImageRequest(FakeGeminiFixture.Prompt("[fake:hang]")), cancel.Token));
    }

    [Fact]
    public async Task An_unreachable_server_is_a_transient_network_failure()
    {
        var ex = await GenerateFailure(fake.Client(("Gemini:BaseUrl", $"http://127.0.0.1:{FakeGeminiFixture.ClosedPort()}")), "");

        Assert.Equal(GeminiErrorCodes.Network, ex.ErrorCode);
        Assert.True(ex.IsTransient);
        Assert.Null(ex.HttpStatus);
    }

    [Fact]
    public async Task Reads_the_configured_model_and_the_model_list()
    {
        var client = fake.Client();

        var model = await client.GetModelAsync(default);
        var models = await client.ListModelsAsync(default);

        Assert.Equal("models/gemini-2.5-flash-image", model.Name);
        Assert.True(model.SupportsGenerateContent);
        Assert.Equal(["gemini-2.5-flash-image", "gemini-3-pro-image-preview"], models.Select(m => m.Id));
    }

    [Fact]
    public async Task The_key_falls_back_to_the_environment()
    {
        var previous = Environment.GetEnvironmentVariable(GeminiOptions.ApiKeyVariable);
        Environment.SetEnvironmentVariable(GeminiOptions.ApiKeyVariable, FakeGeminiFixture.ApiKey);
        try
        {
            var image = await fake.Client(("Gemini:ApiKey", "")).GenerateImageAsync(
                new GeminiImageRequest(FakeGeminiFixture.Prompt()), CancellationToken.None);

            Assert.True(Png.HasSignature(image.Bytes));
        }
        finally
        {
            Environment.SetEnvironmentVariable(GeminiOptions.ApiKeyVariable, previous);
        }
    }

    private static Task<GeminiException> GenerateFailure(IGeminiClient client, string markers) =>
        Assert.ThrowsAsync<GeminiException>(() =>
            client.GenerateImageAsync(new GeminiImageRequest(FakeGeminiFixture.Prompt(markers)), CancellationToken.None));
}
