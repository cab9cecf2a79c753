using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ImageBus.Gemini.Tests;

/// <summary>The start-up check's verdicts and the one line it gives for each misconfiguration.</summary>
public sealed class GeminiModelCheckTests(FakeGeminiFixture fake) : IClassFixture<FakeGeminiFixture>
{
    private const string ImageModels = "gemini-3.1-flash-image, gemini-3-pro-image, gemini-3.1-flash-lite-image";

    [Fact]
    public async Task The_default_model_and_every_allowed_one_are_checked()
    {
        int Gets(string model) => fake.Requests.All.Count(r => r.Method == "GET" && r.Path == $"/v1beta/models/{model}");
        var before = GeminiImageModels.CurrentIds.Select(Gets).ToList();

        await Check();

        Assert.Equal(before.Select(n => n + 1), GeminiImageModels.CurrentIds.Select(Gets));
    }

    [Fact]
    public async Task An_unknown_model_names_the_image_models_the_key_can_use()
    {
        var ex = await Assert.ThrowsAsync<GeminiConfigurationException>(() => Check(("Gemini:Model", "gemini-9-imaginary")));

        // Not gemini-3.8-flash (no images), imagen-4.0-generate-001 (no generateContent) nor the embedding model.
        Assert.Equal(
            $"Gemini model 'gemini-9-imaginary' does not exist (Gemini:Model) at {fake.BaseUrl}: set Gemini:Model from "
            + $"the image models this key can use: {ImageModels}",
            ex.Message);
    }

    [Fact]
    public async Task The_image_models_are_gathered_from_every_page_of_the_list()
    {
        await using var paged = await FakeGeminiFixture.StartAsync("--FakeGemini:MaxPageSize=1");
        var services = paged.Services(null, ("Gemini:Model", "gemini-9-imaginary"));

        var ex = await Assert.ThrowsAsync<GeminiConfigurationException>(() => GeminiModelCheck.EnsureUsableAsync(
            services.GetRequiredService<IGeminiClient>(), services.GetRequiredService<IOptions<GeminiOptions>>().Value,
            NullLogger.Instance, CancellationToken.None));

        Assert.EndsWith($"the image models this key can use: {ImageModels}", ex.Message, StringComparison.Ordinal);
        Assert.Equal(6, paged.Requests.All.Count(r => r.Path == "/v1beta/models"));
    }

    [Fact]
    public async Task The_analysis_model_is_checked_and_named_by_its_setting()
    {
        var ex = await Assert.ThrowsAsync<GeminiConfigurationException>(() => Check(("Gemini:AnalysisModel", "gemini-9-text")));

        Assert.Equal(
            $"Gemini model 'gemini-9-text' does not exist (Gemini:AnalysisModel) at {fake.BaseUrl}: set Gemini:AnalysisModel to a text "
            + "model this key can use",
            ex.Message);
    }

    [Fact]
    public async Task A_retired_model_is_named_as_such()
    {
        var ex = await Assert.ThrowsAsync<GeminiConfigurationException>(() => Check(("Gemini:Model", "gemini-2.5-flash-image")));

        Assert.StartsWith($"Gemini model 'gemini-2.5-flash-image' was shut down on 2026-10-02 (Gemini:Model) at {fake.BaseUrl}",
            ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_allowed_model_is_refused_naming_its_setting()
    {
        var ex = await Assert.ThrowsAsync<GeminiConfigurationException>(() => Check(
            ("Gemini:AllowedModels:0", GeminiImageModels.Pro3), ("Gemini:AllowedModels:1", "gemini-3-pro-image-preview")));

        Assert.Equal(
            $"Gemini model 'gemini-3-pro-image-preview' was shut down on 2026-06-25 (Gemini:AllowedModels) at {fake.BaseUrl}: "
            + $"set Gemini:AllowedModels from the image models this key can use: {ImageModels}",
            ex.Message);
    }

    [Fact]
    public async Task Every_unusable_model_goes_into_the_one_line()
    {
        var ex = await Assert.ThrowsAsync<GeminiConfigurationException>(() => Check(
            ("Gemini:Model", "gemini-x"), ("Gemini:AllowedModels:0", "gemini-embedding-001"), ("Gemini:AllowedModels:1", GeminiImageModels.Pro3)));

        Assert.Equal(
            $"Gemini model 'gemini-x' does not exist (Gemini:Model); 'gemini-embedding-001' does not support "
            + $"generateContent (Gemini:AllowedModels) at {fake.BaseUrl}: set Gemini:Model and Gemini:AllowedModels from the image models "
            + $"this key can use: {ImageModels}",
            ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
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
        var options = new GeminiOptions { Model = "text-embedding-004", AnalysisModel = "gemini-x", BaseUrl = "https://gemini.example" };
        var client = new StubClient(
            new GeminiModel("models/text-embedding-004", null, ["embedContent"]),
            [
                new GeminiModel("models/text-embedding-004", null, ["embedContent"]),
                new GeminiModel("models/gemini-x", null, ["generateContent"]),
                new GeminiModel("models/gemini-x-image", null, ["generateContent"]),
                new GeminiModel("models/nano-banana-pro-preview", "Nano Banana Pro", ["generateContent"]),
            ]);

        var ex = await Assert.ThrowsAsync<GeminiConfigurationException>(() =>
            GeminiModelCheck.EnsureUsableAsync(client, options, NullLogger.Instance, CancellationToken.None));

        Assert.Equal(
            "Gemini model 'text-embedding-004' does not support generateContent (Gemini:Model) at https://gemini.example: "
            + "set Gemini:Model from the image models this key can use: gemini-x-image, nano-banana-pro-preview",
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
    [InlineData("Gemini:MaxRetryAfter", "01:00:00", "MaxRetryAfter")]
    [InlineData("Gemini:Prices:gemini-x:PerImage", "-0.5", "Gemini:Prices:gemini-x")]
    [InlineData("Gemini:AllowedModels:0", " ", "Gemini:AllowedModels must not hold an empty model id")]
    public async Task Invalid_options_stop_the_host(string key, string value, string complaint)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddGeminiClient(fake.Configuration((key, value)));
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(complaint, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Allowed_models_default_to_the_current_ones_and_configured_ones_replace_them()
    {
        GeminiOptions Bound(params (string, string?)[] settings) =>
            fake.Services(null, settings).GetRequiredService<IOptions<GeminiOptions>>().Value;

        Assert.Equal(GeminiImageModels.CurrentIds, Bound().AllowedModels);
        Assert.Equal([GeminiImageModels.Pro3], Bound(("Gemini:AllowedModels:0", GeminiImageModels.Pro3)).AllowedModels);
        Assert.Equal(GeminiImageModels.Flash31, Bound().Model);
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

        public Task<GeminiText> GenerateTextAsync(GeminiTextRequest request, CancellationToken ct) =>
            throw new NotSupportedException();

        // A listed model as listed (the analysis model), any other as the one given.
        public Task<GeminiModel> GetModelAsync(string id, CancellationToken ct) =>
            Task.FromResult(models.FirstOrDefault(m => m.Id == id && m.Id != model.Id) ?? model);

        public Task<IReadOnlyList<GeminiModel>> ListModelsAsync(CancellationToken ct) => Task.FromResult(models);
    }
}
