using System.Net;
using System.Net.Http.Json;
using ImageBus.FakeGemini;
using ImageBus.Gemini.Wire;

namespace ImageBus.Gemini.Tests;

/// <summary>The fake itself: real PNGs, Gemini's key rules and marker parsing.</summary>
public sealed class FakeGeminiTests(FakeGeminiFixture fake) : IClassFixture<FakeGeminiFixture>
{
    [Fact]
    public async Task Images_are_valid_pngs_that_follow_the_prompt()
    {
        var client = fake.Client();
        var prompt = FakeGeminiFixture.Prompt();

        var first = await client.GenerateImageAsync(new GeminiImageRequest(prompt, "3:2"), default);
        var same = await client.GenerateImageAsync(new GeminiImageRequest(prompt, "3:2"), default);
        var other = await client.GenerateImageAsync(new GeminiImageRequest(FakeGeminiFixture.Prompt(), "3:2"), default);

        var (width, height) = Png.Size(first.Bytes);
        Assert.Equal(height * (1 + (width * 3)), Png.Inflate(first.Bytes).Length);
        Assert.Equal(first.Bytes, same.Bytes);
        Assert.NotEqual(first.Bytes, other.Bytes);
    }

    [Fact]
    public async Task A_call_without_a_key_is_denied()
    {
        using var http = new HttpClient { BaseAddress = new Uri(fake.BaseUrl) };

        using var response = await http.GetAsync(new Uri("v1beta/models", UriKind.Relative));
        var error = await response.Content.ReadFromJsonAsync(GeminiJsonContext.Default.ErrorEnvelope);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("PERMISSION_DENIED", error?.Error.Status);
    }

    [Fact]
    public async Task An_unsupported_aspect_ratio_is_an_invalid_argument()
    {
        var ex = await Assert.ThrowsAsync<GeminiException>(() =>
            fake.Client().GenerateImageAsync(new GeminiImageRequest(FakeGeminiFixture.Prompt(), "7:5"), default));

        Assert.Equal(GeminiErrorCodes.InvalidArgument, ex.ErrorCode);
    }

    [Fact]
    public void Markers_combine_and_unknown_ones_are_reported()
    {
        var script = FakeGeminiMarkers.Parse("x [fake:latency=25] y [fake:fail-first=3:429] [fake:no-image]");
        var typo = FakeGeminiMarkers.Parse("x [fake:error=abc]");

        Assert.Equal(25, script.LatencyMs);
        Assert.Equal((3, 429), (script.FailFirstCount, script.FailFirstStatus));
        Assert.True(script.NoImage);
        Assert.Null(script.Invalid);
        Assert.Equal("[fake:error=abc]", typo.Invalid);
    }

    [Fact]
    public async Task A_latency_marker_delays_the_answer()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await fake.Client().GenerateImageAsync(new GeminiImageRequest(FakeGeminiFixture.Prompt("[fake:latency=400]")), default);

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(400), $"answered after {clock.Elapsed}");
    }
}
