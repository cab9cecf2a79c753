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
    [InlineData("8:1", "512", 512, 64)]
    public async Task Generates_a_png_sized_by_aspect_ratio_and_image_size(string? aspectRatio, string? imageSize, int width, int height)
    {
        var image = await fake.Client().GenerateImageAsync(
            new GeminiImageRequest(FakeGeminiFixture.Prompt(), aspectRatio, imageSize), CancellationToken.None);

        Assert.True(Png.HasSignature(image.Bytes));
        Assert.Equal((width, height), Png.Size(image.Bytes));
        Assert.Equal("image/png", image.MimeType);
        Assert.Equal(GeminiImageModels.Flash31, image.ModelVersion);
        Assert.Equal(GeminiImageModels.Flash31, image.Model);
        Assert.True(image.Usage?.TotalTokenCount > 0);
    }

    [Fact]
    public async Task Sends_the_configured_model()
    {
        var image = await fake.Client(("Gemini:Model", GeminiImageModels.Pro3))
            .GenerateImageAsync(new GeminiImageRequest(FakeGeminiFixture.Prompt()), CancellationToken.None);

        Assert.Equal(GeminiImageModels.Pro3, image.ModelVersion);
        Assert.Equal(GeminiImageModels.Pro3, image.Model);
    }

    [Theory]
    [InlineData(GeminiImageModels.Pro3)]
    [InlineData(GeminiImageModels.FlashLite31)]
    public async Task A_request_may_name_an_allowed_model_of_its_own(string model)
    {
        int CallsTo() => fake.Requests.GenerateContent.Count(r => r.Path == $"/v1beta/models/{model}:generateContent");
        var before = CallsTo();

        var image = await fake.Client().GenerateImageAsync(new GeminiImageRequest(FakeGeminiFixture.Prompt(), Model: model), default);

        Assert.Equal(model, image.Model);
        Assert.Equal(model, image.ModelVersion);
        Assert.Equal(before + 1, CallsTo());
    }

    [Fact]
    public async Task A_model_outside_the_allowlist_is_refused_without_a_call()
    {
        var before = fake.Requests.All.Count;

        var ex = await Assert.ThrowsAsync<GeminiException>(() => fake.Client(("Gemini:AllowedModels:0", GeminiImageModels.Pro3))
            .GenerateImageAsync(new GeminiImageRequest(FakeGeminiFixture.Prompt(), Model: GeminiImageModels.FlashLite31), default));

        Assert.Equal(GeminiErrorCodes.ModelNotAllowed, ex.ErrorCode);
        Assert.False(ex.IsTransient);
        Assert.Equal(before, fake.Requests.All.Count);
    }

    [Theory]
    [InlineData(GeminiImageModels.FlashLite31, "1:1", "4K")]
    [InlineData(GeminiImageModels.FlashLite31, "1:1", "2K")]
    [InlineData(GeminiImageModels.Pro3, "1:1", "512")]
    [InlineData(GeminiImageModels.Pro3, "1:8", "1K")]
    [InlineData(GeminiImageModels.Flash31, "1:1", "1k")]
    public async Task An_image_config_the_model_refuses_is_a_permanent_invalid_argument(string model, string ratio, string size)
    {
        var ex = await Assert.ThrowsAsync<GeminiException>(() =>
            fake.Client().GenerateImageAsync(new GeminiImageRequest(FakeGeminiFixture.Prompt(), ratio, size, Model: model), default));

        Assert.Equal((GeminiErrorCodes.InvalidArgument, false, 400), (ex.ErrorCode, ex.IsTransient, ex.HttpStatus));
        Assert.Contains(model, ex.Message, StringComparison.Ordinal);
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

    [Fact]
    public async Task A_per_minute_quota_is_transient_with_its_retry_info_delay()
    {
        var ex = await GenerateFailure(fake.Client(), "[fake:quota=minute]");

        Assert.Equal((GeminiErrorCodes.ResourceExhausted, true, 429), (ex.ErrorCode, ex.IsTransient, ex.HttpStatus));
        Assert.Equal(TimeSpan.FromSeconds(45.837906927), ex.RetryAfter);
        Assert.Equal("GenerateRequestsPerMinutePerProjectPerModel", ex.QuotaId);
    }

    [Fact]
    public async Task A_per_day_quota_is_permanent_with_its_own_code()
    {
        var ex = await GenerateFailure(fake.Client(), "[fake:quota=day]");

        Assert.Equal((GeminiErrorCodes.QuotaExhaustedDaily, false, 429), (ex.ErrorCode, ex.IsTransient, ex.HttpStatus));
        Assert.Equal("GenerateRequestsPerDayPerProjectPerModel", ex.QuotaId);
        Assert.Contains("daily quota GenerateRequestsPerDayPerProjectPerModel", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_configured_per_minute_quota_answers_with_the_time_left_in_its_window()
    {
        await using var limited = await FakeGeminiFixture.StartAsync("--FakeGemini:RequestsPerMinute=1");
        var client = limited.Client();

        // The window is a minute aligned on the clock: a second call may just fall into the next one, a third cannot.
        GeminiException? ex = null;
        for (var call = 1; call <= 3 && ex is null; call++)
        {
            ex = await Record.ExceptionAsync(() => client.GenerateImageAsync(new GeminiImageRequest(FakeGeminiFixture.Prompt()), default))
                as GeminiException;
        }

        Assert.NotNull(ex);
        Assert.Equal((GeminiErrorCodes.ResourceExhausted, true), (ex.ErrorCode, ex.IsTransient));
        Assert.Equal("GenerateRequestsPerMinutePerProjectPerModel", ex.QuotaId);
        Assert.InRange(ex.RetryAfter!.Value, TimeSpan.FromTicks(1), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task The_configured_per_day_quota_is_permanent()
    {
        await using var limited = await FakeGeminiFixture.StartAsync("--FakeGemini:RequestsPerDay=1");
        var client = limited.Client();

        await client.GenerateImageAsync(new GeminiImageRequest(FakeGeminiFixture.Prompt()), default);
        var ex = await GenerateFailure(client, "");

        Assert.Equal((GeminiErrorCodes.QuotaExhaustedDaily, false), (ex.ErrorCode, ex.IsTransient));
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

        // Well before the default call timeout (60 s) or HttpClient's (100 s) could end it instead.
        var ex = await GenerateFailure(client, "[fake:hang]").WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(GeminiErrorCodes.Timeout, ex.ErrorCode);
        Assert.True(ex.IsTransient);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.9), $"gave up after {clock.Elapsed}, before the call timeout");
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
    public async Task Reads_a_model_and_the_model_list()
    {
        var client = fake.Client();

        var model = await client.GetModelAsync(GeminiImageModels.Pro3, default);
        var models = await client.ListModelsAsync(default);

        Assert.Equal("models/gemini-3-pro-image", model.Name);
        Assert.True(model.SupportsGenerateContent);
        Assert.Equal(
            ["gemini-3.1-flash-image", "gemini-3-pro-image", "gemini-3.1-flash-lite-image", "gemini-3.8-flash", "imagen-4.0-generate-001", "gemini-embedding-001"],
            models.Select(m => m.Id));
        Assert.Equal(["gemini-3.1-flash-image", "gemini-3-pro-image", "gemini-3.1-flash-lite-image"],
            models.Where(m => m.IsUsableImageModel).Select(m => m.Id));
    }

    [Fact]
    public async Task The_model_list_is_read_over_every_page()
    {
        await using var paged = await FakeGeminiFixture.StartAsync("--FakeGemini:MaxPageSize=2");

        var models = await paged.Client().ListModelsAsync(default);

        Assert.Equal(6, models.Select(m => m.Id).Distinct().Count());
        Assert.Equal(3, paged.Requests.All.Count(r => r.Method == "GET" && r.Path == "/v1beta/models"));
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
