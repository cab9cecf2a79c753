using Microsoft.Extensions.DependencyInjection;

namespace ImageBus.Gemini.Tests;

/// <summary>How many calls the retry pipeline makes against the fake, and which waits it starts between them (on a
/// fake clock: nothing here sleeps through a backoff).</summary>
public sealed class GeminiImageGeneratorTests(FakeGeminiFixture fake) : IClassFixture<FakeGeminiFixture>
{
    // [fake:quota=minute]'s RetryInfo "45.837906927s", rounded up to the millisecond timers count in.
    private static readonly TimeSpan MinuteQuotaDelay = TimeSpan.FromMilliseconds(45_838);

    private readonly RetryClock _clock = new();

    [Theory]
    [InlineData("[fake:error=503]", 4)]
    [InlineData("[fake:error=500]", 4)]
    [InlineData("[fake:error=429]", 2)]
    [InlineData("[fake:quota=minute]", 3)]
    [InlineData("[fake:hang]", 2)]
    public async Task Transient_failures_use_every_attempt(string marker, int maxAttempts)
    {
        var prompt = FakeGeminiFixture.Prompt(marker);
        var hangs = marker == "[fake:hang]";

        // Only the hanging server needs a short call timeout; elsewhere one could cut a slow call on a busy machine.
        var ex = await GenerateFailure(prompt, ("Gemini:MaxAttempts", $"{maxAttempts}"), ("Gemini:CallTimeout", hangs ? "00:00:00.300" : "00:01:00"));

        Assert.Equal(maxAttempts, ex.Calls);
        Assert.True(ex.IsTransient);
        Assert.Equal(maxAttempts - 1, _clock.Waits.Count);
        if (!hangs)
        {
            // A call abandoned before the fake read its body is logged without its prompt, so only answered ones count here.
            Assert.Equal(maxAttempts, await CallsWith(prompt, maxAttempts));
        }
    }

    [Theory]
    [InlineData("[fake:error=400]", "INVALID_ARGUMENT")]
    [InlineData("[fake:safety]", "IMAGE_SAFETY")]
    [InlineData("[fake:blocked]", "PROHIBITED_CONTENT")]
    [InlineData("[fake:fail-first=2:400]", "INVALID_ARGUMENT")]
    [InlineData("[fake:quota=day]", GeminiErrorCodes.QuotaExhaustedDaily)]
    public async Task Permanent_failures_stop_after_one_call(string marker, string code)
    {
        var prompt = FakeGeminiFixture.Prompt(marker);

        var ex = await GenerateFailure(prompt);

        Assert.Equal(code, ex.ErrorCode);
        Assert.Equal(1, ex.Calls);
        Assert.False(ex.IsTransient);
        Assert.Empty(_clock.Waits);
        Assert.Equal(1, await CallsWith(prompt, 1));
    }

    [Fact]
    public async Task A_per_minute_quota_waits_out_its_retry_info_then_succeeds()
    {
        var generation = await Generate(FakeGeminiFixture.Prompt("[fake:quota=minute:2]"));

        Assert.Equal(3, generation.Calls);
        Assert.Equal([MinuteQuotaDelay, MinuteQuotaDelay], _clock.Waits);
        Assert.True(Png.HasSignature(generation.Image.Bytes));
    }

    [Fact]
    public async Task A_per_day_quota_ignores_its_short_retry_info()
    {
        // [fake:quota=day] carries RetryInfo "21s": honouring it would retry, in vain, until the daily reset.
        var ex = await GenerateFailure(FakeGeminiFixture.Prompt("[fake:quota=day]"), ("Gemini:MaxAttempts", "10"));

        Assert.Equal(TimeSpan.FromSeconds(21), ex.RetryAfter);
        Assert.Equal((GeminiErrorCodes.QuotaExhaustedDaily, 1), (ex.ErrorCode, ex.Calls));
        Assert.Empty(_clock.Waits);
    }

    [Fact]
    public async Task A_rejected_key_stops_after_one_call()
    {
        var ex = await GenerateFailure(FakeGeminiFixture.Prompt(), ("Gemini:ApiKey", "not-the-key"));

        Assert.Equal(GeminiErrorCodes.ApiKeyInvalid, ex.ErrorCode);
        Assert.Equal(1, ex.Calls);
    }

    [Fact]
    public async Task A_model_outside_the_allowlist_makes_no_call()
    {
        var prompt = FakeGeminiFixture.Prompt();

        var ex = await Assert.ThrowsAsync<GeminiException>(() => _clock.RunAsync(
            Generator(("Gemini:AllowedModels:0", GeminiImageModels.Pro3))
                .GenerateAsync(new GeminiImageRequest(prompt, Model: "gemini-2.5-flash-image"), default)));

        Assert.Equal((GeminiErrorCodes.ModelNotAllowed, 0, false), (ex.ErrorCode, ex.Calls, ex.IsTransient));
        Assert.Equal(0, await CallsWith(prompt, 0));
    }

    [Fact]
    public async Task No_image_is_retried_once_then_permanent()
    {
        var ex = await GenerateFailure(FakeGeminiFixture.Prompt("[fake:no-image]"));

        Assert.Equal(GeminiErrorCodes.NoImage, ex.ErrorCode);
        Assert.Equal(2, ex.Calls);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task Succeeds_once_the_failures_stop()
    {
        var generation = await Generate(FakeGeminiFixture.Prompt("[fake:fail-first=2:503]"));

        Assert.Equal(3, generation.Calls);
        Assert.Equal(2, _clock.Waits.Count);
        Assert.True(Png.HasSignature(generation.Image.Bytes));
    }

    [Fact]
    public async Task A_single_attempt_is_never_retried()
    {
        var ex = await GenerateFailure(FakeGeminiFixture.Prompt("[fake:error=503]"), ("Gemini:MaxAttempts", "1"));

        Assert.Equal(1, ex.Calls);
        Assert.Empty(_clock.Waits);
    }

    [Fact]
    public async Task Waits_as_long_as_the_server_asks()
    {
        await GenerateFailure(FakeGeminiFixture.Prompt("[fake:error=429]"), ("Gemini:BaseBackoff", "00:00:00.010"));

        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)], _clock.Waits);
    }

    [Fact]
    public async Task A_server_wait_is_honoured_beyond_max_backoff_up_to_max_retry_after()
    {
        await GenerateFailure(FakeGeminiFixture.Prompt("[fake:quota=minute]"),
            ("Gemini:MaxBackoff", "00:00:05"), ("Gemini:MaxRetryAfter", "00:00:30"));

        Assert.Equal([TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30)], _clock.Waits);
    }

    [Fact]
    public async Task Own_backoff_stays_within_max_backoff()
    {
        await GenerateFailure(FakeGeminiFixture.Prompt("[fake:error=503]"), ("Gemini:MaxAttempts", "8"),
            ("Gemini:BaseBackoff", "00:00:01"), ("Gemini:MaxBackoff", "00:00:04"));

        Assert.Equal(7, _clock.Waits.Count);
        Assert.All(_clock.Waits, wait => Assert.InRange(wait, TimeSpan.Zero, TimeSpan.FromSeconds(4)));
    }

    [Fact]
    public async Task Zero_backoff_retries_without_waiting()
    {
        var ex = await GenerateFailure(FakeGeminiFixture.Prompt("[fake:error=500]"),
            ("Gemini:BaseBackoff", "00:00:00"), ("Gemini:MaxBackoff", "00:00:00"));

        Assert.Equal(4, ex.Calls);
        Assert.All(_clock.Waits, wait => Assert.Equal(TimeSpan.Zero, wait));
    }

    /// <summary>generateContent calls the fake received with <paramref name="prompt"/> (every test prompt is unique) once
    /// it has logged them all: the log entry of a call is written just after its answer.</summary>
    private async Task<int> CallsWith(string prompt, int expected)
    {
        for (var tries = 0; tries < 100 && fake.Requests.GenerateContent.Count(r => r.Prompt == prompt) < expected; tries++)
        {
            await Task.Delay(50);
        }

        return fake.Requests.GenerateContent.Count(r => r.Prompt == prompt);
    }

    private GeminiImageGenerator Generator(params (string Key, string? Value)[] overrides) =>
        fake.Services(_clock, overrides).GetRequiredService<GeminiImageGenerator>();

    private Task<GeminiGeneration> Generate(string prompt, params (string Key, string? Value)[] overrides) =>
        _clock.RunAsync(Generator(overrides).GenerateAsync(new GeminiImageRequest(prompt), CancellationToken.None));

    private Task<GeminiException> GenerateFailure(string prompt, params (string Key, string? Value)[] overrides) =>
        Assert.ThrowsAsync<GeminiException>(() => Generate(prompt, overrides));
}
