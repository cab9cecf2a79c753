using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ImageBus.Gemini.Tests;

/// <summary>The start-up check's verdicts and the one line it gives for each misconfiguration.</summary>
public sealed class GeminiModelCheckTests(FakeGeminiFixture fake) : IClassFixture<FakeGeminiFixture>
{
    [Fact]
    public async Task A_good_model_and_key_pass()
    {
        await Check();
    }

    [Fact]
    public async Task An_unknown_model_names_the_models_that_exist()
    {
        var ex = await Assert.ThrowsAsync<GeminiConfigurationException>(() => Check(("Gemini:Model", "gemini-9-imaginary")));

        Assert.Equal(
            $"Gemini model 'gemini-9-imaginary' does not exist at {fake.BaseUrl}: set Gemini:Model to one of: "
            + "gemini-2.5-flash-image, gemini-3-pro-image-preview",
            ex.Message);
    }

    [Fact]
    public async Task A_rejected_key_says_where_to_set_it_without_showing_it()
    {
        const string WrongKey = "wrong-key-Pq47";

        var ex = await Assert.ThrowsAsync<GeminiConfigurationException>(() => Check(("Gemini:ApiKey", WrongKey)));

        Assert.Equal("Gemini rejected the API key: set Gemini:ApiKey or GEMINI_API_KEY", ex.Message);
        Assert.DoesNotContain(WrongKey, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_that_cannot_generate_content_is_refused()
    {
        var options = new GeminiOptions { Model = "text-embedding-004", BaseUrl = "https://gemini.example" };
        var client = new StubClient(
            new GeminiModel("models/text-embedding-004", null, ["embedContent"]),
            [new GeminiModel("models/text-embedding-004", null, ["embedContent"]), new GeminiModel("models/gemini-x", null, ["generateContent"])]);

        var ex = await Assert.ThrowsAsync<GeminiConfigurationException>(() =>
            GeminiModelCheck.EnsureUsableAsync(client, options, NullLogger.Instance, CancellationToken.None));

        Assert.Equal(
            "Gemini model 'text-embedding-004' at https://gemini.example does not support generateContent: "
            + "set Gemini:Model to one of: gemini-x",
            ex.Message);
    }

    [Fact]
    public async Task An_unreachable_gemini_does_not_stop_start_up()
    {
        await Check(("Gemini:BaseUrl", $"http://127.0.0.1:{FakeGeminiFixture.ClosedPort()}"));
    }

    [Theory]
    [InlineData("Gemini:MaxAttempts", "0", "MaxAttempts")]
    [InlineData("Gemini:CallTimeout", "00:00:00", "CallTimeout")]
    [InlineData("Gemini:MaxBackoff", "00:00:00.001", "Gemini:MaxBackoff must not be below Gemini:BaseBackoff")]
    [InlineData("Gemini:Prices:gemini-x:PerImage", "-0.5", "Gemini:Prices:gemini-x")]
    public async Task Invalid_options_stop_the_host(string key, string value, string complaint)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddGeminiClient(fake.Configuration((key, value)));
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(complaint, ex.Message, StringComparison.Ordinal);
    }

    private Task Check(params (string Key, string? Value)[] overrides)
    {
        var services = fake.Services(null, overrides);
        return GeminiModelCheck.EnsureUsableAsync(
            services.GetRequiredService<IGeminiClient>(),
            services.GetRequiredService<IOptions<GeminiOptions>>().Value,
            NullLogger.Instance,
            CancellationToken.None);
    }

    private sealed class StubClient(GeminiModel model, IReadOnlyList<GeminiModel> models) : IGeminiClient
    {
        public Task<GeminiImage> GenerateImageAsync(GeminiImageRequest request, CancellationToken ct) =>
            throw new NotSupportedException();

        public Task<GeminiModel> GetModelAsync(CancellationToken ct) => Task.FromResult(model);

        public Task<IReadOnlyList<GeminiModel>> ListModelsAsync(CancellationToken ct) => Task.FromResult(models);
    }
}
