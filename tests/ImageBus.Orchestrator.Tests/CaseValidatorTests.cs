using ImageBus.Contracts;
using ImageBus.Gemini;
using ImageBus.Jobs;
using ImageBus.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ImageBus.Orchestrator.Tests;

/// <summary>The per-model rules, the size tiers and the source image rules of <see cref="CaseValidator"/>, with the
/// Gemini settings bound as the services bind them.</summary>
public sealed class CaseValidatorTests
{
    [Theory]
    [InlineData(GeminiImageModels.Flash31, "1:8", "512")]
    [InlineData(GeminiImageModels.Flash31, "8:1", "4K")]
    [InlineData(GeminiImageModels.Flash31, "4:1", "2K")]
    [InlineData(GeminiImageModels.Pro3, "21:9", "1K")]
    [InlineData(GeminiImageModels.Pro3, "9:16", "4K")]
    [InlineData(GeminiImageModels.FlashLite31, "2:3", "1K")]
    [InlineData(GeminiImageModels.FlashLite31, "16:9", null)]
    [InlineData(null, "1:4", "512")]
    public void What_a_model_offers_is_accepted(string? model, string aspectRatio, string? imageSize) =>
        Assert.Empty(Errors(Case(model, Item(aspectRatio, imageSize))));

    [Theory]
    [InlineData(GeminiImageModels.Pro3, "1:8", "1K", "items[0].aspectRatio: aspectRatio '1:8' is not supported by gemini-3-pro-image")]
    [InlineData(GeminiImageModels.Pro3, "1:1", "512", "items[0].imageSize: imageSize '512' is not supported by gemini-3-pro-image")]
    [InlineData(GeminiImageModels.FlashLite31, "4:1", "1K", "items[0].aspectRatio: aspectRatio '4:1' is not supported by gemini-3.1-flash-lite-image")]
    [InlineData(GeminiImageModels.FlashLite31, "1:1", "2K", "items[0].imageSize: imageSize '2K' is not supported by gemini-3.1-flash-lite-image")]
    [InlineData(GeminiImageModels.FlashLite31, "1:1", "4K", "items[0].imageSize: imageSize '4K' is not supported by gemini-3.1-flash-lite-image")]
    [InlineData(GeminiImageModels.Flash31, "1:1", "1k", "items[0].imageSize: '1k' is not one of 512, 1K, 2K, 4K")]
    [InlineData(GeminiImageModels.Flash31, "7:5", "1K", "items[0].aspectRatio: '7:5' is not one of 1:1,")]
    [InlineData("gemini-9-ultra-image", "1:8", "512", "model: 'gemini-9-ultra-image' is not one of gemini-3.1-flash-image, gemini-3-pro-image, gemini-3.1-flash-lite-image")]
    [InlineData("gemini-2.5-flash-image", "1:1", null, "model: 'gemini-2.5-flash-image' is not one of")]
    public void What_a_model_does_not_offer_is_one_error_each(string model, string aspectRatio, string? imageSize, string error) =>
        Assert.StartsWith(error, Assert.Single(Errors(Case(model, Item(aspectRatio, imageSize)))), StringComparison.Ordinal);

    [Fact]
    public void Every_item_s_problems_are_listed_at_once()
    {
        var errors = Errors(Case(GeminiImageModels.Pro3, Item("8:1", "512"), Item("1:1", "2K"), Item("1:4", "4K")));

        Assert.Equal(["items[0].aspectRatio", "items[0].imageSize", "items[2].aspectRatio"], errors.Select(e => e.Split(':')[0]));
    }

    [Fact]
    public void Without_a_model_the_case_is_held_to_the_default_model_of_the_settings()
    {
        var models = Models(("Gemini:Model", GeminiImageModels.FlashLite31));

        Assert.StartsWith("items[0].imageSize: imageSize '2K' is not supported by gemini-3.1-flash-lite-image",
            Assert.Single(Errors(Case(null, Item("1:1", "2K")), models: models)), StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_configured_models_may_be_asked_for_and_an_uncatalogued_one_gets_the_common_rules()
    {
        var models = Models(("Gemini:AllowedModels:0", "gemini-4-image"));

        Assert.StartsWith("model: 'gemini-3-pro-image' is not one of gemini-3.1-flash-image, gemini-4-image",
            Assert.Single(Errors(Case(GeminiImageModels.Pro3, Item("1:1", "1K")), models: models)), StringComparison.Ordinal);
        Assert.Empty(Errors(Case("gemini-4-image", Item("21:9", "4K")), models: models));
        Assert.Equal(
            ["items[0].aspectRatio: aspectRatio '1:8' is not supported by gemini-4-image (supported: 1:1, 2:3, 3:2, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9)",
             "items[1].imageSize: imageSize '512' is not supported by gemini-4-image (supported: 1K, 2K, 4K)"],
            Errors(Case("gemini-4-image", Item("1:8", null), Item("1:1", "512")), models: models));
    }

    [Fact]
    public void A_tier_over_the_largest_image_size_is_refused()
    {
        var options = new JobOptions { MaxImageSize = 2048 };

        Assert.Equal(["items[0].imageSize: '4K' makes 4096-pixel images, over the limit of 2048 pixels"],
            Errors(Case(GeminiImageModels.Pro3, Item("1:1", "4K"), Item("1:1", "2K")), options));
    }

    [Fact]
    public void An_uploaded_source_image_must_be_one_of_the_tenant_s_own_uploads()
    {
        var own = BlobKeys.ForUpload(Cases.TenantId);
        var others = BlobKeys.ForUpload("tenant-b");
        var item = Item("1:1", null);

        Assert.Empty(Errors(Case(null, item with { SourceImageKey = own })));
        string[] refused = [others, $"{BlobKeys.UploadPrefix(Cases.TenantId)}../../tenant-b/uploads/{Guid.NewGuid():N}",
            BlobKeys.ForImage(Cases.TenantId, Guid.NewGuid(), "item", 1, "image.jpg"), $"{BlobKeys.UploadPrefix(Cases.TenantId)}"];
        Assert.All(refused, key => Assert.StartsWith("items[0].sourceImageKey: must be an upload of the tenant (a key under tenant-a/uploads/)",
            Assert.Single(Errors(Case(null, item with { SourceImageKey = key }))), StringComparison.Ordinal));
        Assert.Equal(["items[0].sourceImageKey: give either sourceImageUrl or sourceImageKey, not both"],
            Errors(Case(null, item with { SourceImageKey = own, SourceImageUrl = "https://images.example.test/a.png" })));
    }

    static GenerateCaseImages Case(string? model, params CaseImageItem[] items) =>
        new(Guid.NewGuid(), Cases.TenantId, Cases.CaseId, items, Model: model);

    static CaseImageItem Item(string aspectRatio, string? imageSize) =>
        Cases.Evidence(1, aspectRatio) with { ItemId = $"item-{Guid.NewGuid():N}", ImageSize = imageSize };

    static IReadOnlyList<string> Errors(GenerateCaseImages command, JobOptions? options = null, GeminiOptions? models = null) =>
        [.. CaseValidator.Validate(command, options ?? new JobOptions(), models ?? Models()).Select(e => e.ToString())];

    /// <summary>The Gemini settings as <see cref="GeminiServiceCollectionExtensions.AddGeminiModelOptions"/> binds them.</summary>
    static GeminiOptions Models(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)))
            .Build();
        using var services = new ServiceCollection().AddGeminiModelOptions(configuration).Services.BuildServiceProvider();
        return services.GetRequiredService<IOptions<GeminiOptions>>().Value;
    }
}
