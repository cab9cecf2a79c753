using Microsoft.Extensions.DependencyInjection;

namespace ImageBus.Gemini.Tests;

/// <summary>How many calls the retry policy makes against the fake, and how long it would wait between them.</summary>
public sealed class GeminiImageGeneratorTests(FakeGeminiFixture fake) : IClassFixture<FakeGeminiFixture>
{
    private readonly List<TimeSpan> _delays = [];

    [Theory]
    [InlineData("[fake:error=503]", 4)]
    [InlineData("[fake:error=500]", 4)]
    [InlineData("[fake:error=429]", 2)]
    [InlineData("[fake:hang]", 2)]
    public async Task Transient_failures_use_every_attempt(string marker, int maxAttempts)
    {
        var ex = await GenerateFailure(marker, ("Gemini:MaxAttempts", $"{maxAttempts}"), ("Gemini:CallTimeout", "00:00:00.300"));

        Assert.Equal(maxAttempts, ex.Calls);
        Assert.True(ex.IsTransient);
        Assert.Equal(maxAttempts - 1, _delays.Count);
    }

    [Theory]
    [InlineData("[fake:error=400]", "INVALID_ARGUMENT")]
    [InlineData("[fake:safety]", "IMAGE_SAFETY")]
    [InlineData("[fake:blocked]", "PROHIBITED_CONTENT")]
    [InlineData("[fake:fail-first=2:400]", "INVALID_ARGUMENT")]
    public async Task Permanent_failures_stop_after_one_call(string marker, string code)
    {
        var ex = await GenerateFailure(marker);

        Assert.Equal(code, ex.ErrorCode);
        Assert.Equal(1, ex.Calls);
        Assert.False(ex.IsTransient);
        Assert.Empty(_delays);
    }

    [Fact]
    public async Task A_rejected_key_stops_after_one_call()
    {
        var ex = await GenerateFailure("", ("Gemini:ApiKey", "not-the-key"));

        Assert.Equal(GeminiErrorCodes.ApiKeyInvalid, ex.ErrorCode);
        Assert.Equal(1, ex.Calls);
    }

    [Fact]
    public async Task No_image_is_retried_once_then_permanent()
    {
        var ex = await GenerateFailure("[fake:no-image]");

        Assert.Equal(GeminiErrorCodes.NoImage, ex.ErrorCode);
        Assert.Equal(2, ex.Calls);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task Succeeds_once_the_failures_stop()
    {
        var generation = await Generator().GenerateAsync(
            new GeminiImageRequest(FakeGeminiFixture.Prompt("[fake:fail-first=2:503]")), CancellationToken.None);

        Assert.Equal(3, generation.Calls);
        Assert.True(Png.HasSignature(generation.Image.Bytes));
    }

    [Fact]
    public async Task Waits_at_least_as_long_as_the_server_asks()
    {
        await GenerateFailure("[fake:error=429]", ("Gemini:BaseBackoff", "00:00:00.010"));

        Assert.Equal(3, _delays.Count);
        Assert.All(_delays, d => Assert.Equal(TimeSpan.FromSeconds(1), d));
    }

    [Fact]
    public async Task Never_waits_longer_than_max_backoff()
    {
        await GenerateFailure("[fake:error=429]", ("Gemini:BaseBackoff", "00:00:00.100"), ("Gemini:MaxBackoff", "00:00:00.500"));

        Assert.Equal(3, _delays.Count);
        Assert.All(_delays, d => Assert.Equal(TimeSpan.FromMilliseconds(500), d));
    }

    [Theory]
    [InlineData(1, 0.999, 999)]
    [InlineData(2, 0.999, 1998)]
    [InlineData(3, 0.5, 2000)]
    [InlineData(6, 0.999, 29_970)]
    [InlineData(3, 0.0, 0)]
    public void Backoff_doubles_with_full_jitter_up_to_the_cap(int retry, double random, int expectedMs)
    {
        var options = new GeminiOptions { BaseBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(30) };

        var delay = GeminiImageGenerator.RetryDelay(retry, retryAfter: null, options, random);

        Assert.Equal(expectedMs, delay.TotalMilliseconds, precision: 0);
    }

    private GeminiImageGenerator Generator(params (string Key, string? Value)[] overrides) =>
        fake.Services(_delays, overrides).GetRequiredService<GeminiImageGenerator>();

    private Task<GeminiException> GenerateFailure(string markers, params (string Key, string? Value)[] overrides) =>
        Assert.ThrowsAsync<GeminiException>(() =>
            Generator(overrides).GenerateAsync(new GeminiImageRequest(FakeGeminiFixture.Prompt(markers)), CancellationToken.None));
}
