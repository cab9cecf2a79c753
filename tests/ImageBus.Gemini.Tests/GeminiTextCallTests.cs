using System.Security.Cryptography;

namespace ImageBus.Gemini.Tests;

/// <summary>The text-output call a staged item's analysis makes (responseModalities TEXT, the image as inlineData) against the
/// fake over HTTP: its answer, what the fake received, each failure's classification, its own timeout.</summary>
public sealed class GeminiTextCallTests(FakeGeminiFixture fake) : IClassFixture<FakeGeminiFixture>
{
    private static readonly byte[] Image = [0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4];

    private static GeminiTextRequest Request(string prompt, TimeSpan? timeout = null) =>
        new(prompt, Image, "image/png", GeminiOptions.DefaultAnalysisModel, timeout);

    [Fact]
    public async Task The_text_model_answers_in_text_about_the_image_it_was_sent()
    {
        var prompt = FakeGeminiFixture.Prompt();

        var answer = await fake.Client().GenerateTextAsync(Request(prompt), default);

        Assert.Contains("a lighthouse at dusk", answer.Text, StringComparison.Ordinal);
        Assert.Equal((GeminiOptions.DefaultAnalysisModel, GeminiOptions.DefaultAnalysisModel), (answer.Model, answer.ModelVersion));
        Assert.True(answer.Usage?.CandidatesTokenCount > 0);
        var sent = fake.Requests.GenerateContent.Single(r => r.Prompt == prompt);
        Assert.Equal($"/v1beta/models/{GeminiOptions.DefaultAnalysisModel}:generateContent", sent.Path);
        Assert.Equal(new FakeGemini.FakeInlineData("image/png", Image.Length, Convert.ToHexString(SHA256.HashData(Image))), Assert.Single(sent.InlineData));
    }

    [Fact]
    public async Task The_same_prompt_and_image_get_the_same_analysis()
    {
        var prompt = FakeGeminiFixture.Prompt();

        var first = await fake.Client().GenerateTextAsync(Request(prompt), default);
        var second = await fake.Client().GenerateTextAsync(Request(prompt), default);

        Assert.Equal(first.Text, second.Text);
    }

    [Theory]
    [InlineData("[fake:text-error=503]", "UNAVAILABLE", true, 503)]
    [InlineData("[fake:text-error=400]", "INVALID_ARGUMENT", false, 400)]
    [InlineData("[fake:blocked]", "PROHIBITED_CONTENT", false, 200)]
    public async Task Failures_are_classified_as_for_images(string marker, string code, bool transient, int status)
    {
        var ex = await Assert.ThrowsAsync<GeminiException>(() => fake.Client().GenerateTextAsync(Request(FakeGeminiFixture.Prompt(marker)), default));

        Assert.Equal((code, transient, status), (ex.ErrorCode, ex.IsTransient, ex.HttpStatus));
        Assert.Equal(status == 200, ex.IsBilled);
    }

    [Fact]
    public async Task The_text_error_marker_leaves_image_calls_alone()
    {
        var image = await fake.Client().GenerateImageAsync(new GeminiImageRequest(FakeGeminiFixture.Prompt("[fake:text-error=503]")), default);

        Assert.True(Png.HasSignature(image.Bytes));
    }

    [Fact]
    public async Task A_text_call_has_its_own_timeout()
    {
        var ex = await Assert.ThrowsAsync<GeminiException>(() => fake.Client(("Gemini:CallTimeout", "00:05:00"))
            .GenerateTextAsync(Request(FakeGeminiFixture.Prompt("[fake:hang]"), TimeSpan.FromMilliseconds(300)), default));

        Assert.Equal((GeminiErrorCodes.Timeout, true, false), (ex.ErrorCode, ex.IsTransient, ex.IsBilled));
        Assert.Contains("0.3 s", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_text_model_still_refuses_to_draw()
    {
        var ex = await Assert.ThrowsAsync<GeminiException>(() => fake.Client(("Gemini:AllowedModels:0", GeminiOptions.DefaultAnalysisModel))
            .GenerateImageAsync(new GeminiImageRequest(FakeGeminiFixture.Prompt(), Model: GeminiOptions.DefaultAnalysisModel), default));

        Assert.Equal(400, ex.HttpStatus);
    }
}
