namespace ImageBus.Gemini.Tests;

/// <summary>The image model catalogue: which models are current, what each accepts, and what it is billed.</summary>
public sealed class GeminiImageModelsTests
{
    private static readonly string[] Common = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"];

    [Fact]
    public void The_current_models_are_the_three_ga_ids_with_the_default_first()
    {
        Assert.Equal(["gemini-3.1-flash-image", "gemini-3-pro-image", "gemini-3.1-flash-lite-image"], GeminiImageModels.CurrentIds);
        Assert.Equal("gemini-3.1-flash-image", GeminiImageModels.Default);
        Assert.Equal(GeminiImageModels.Default, new GeminiOptions().Model);
    }

    [Theory]
    [InlineData("gemini-2.5-flash-image", "2026-10-02")]
    [InlineData("gemini-3-pro-image-preview", "2026-06-25")]
    [InlineData("gemini-3.1-flash-image-preview", "2026-06-25")]
    public void Retired_models_have_their_shutdown_day_and_no_rules(string model, string day)
    {
        Assert.Equal(DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture), GeminiImageModels.Retired[model]);
        Assert.Null(GeminiImageModels.Find(model));
    }

    [Theory]
    [InlineData(GeminiImageModels.Flash31)]
    [InlineData(GeminiImageModels.Pro3)]
    [InlineData(GeminiImageModels.FlashLite31)]
    public void Every_model_takes_the_common_aspect_ratios(string model)
    {
        var rules = GeminiImageModels.Find(model)!;

        Assert.All(Common, ratio => Assert.Null(rules.Check(ratio, null)));
        Assert.Null(rules.Check(null, "1K"));
        Assert.Null(rules.Check(null, null));
    }

    [Theory]
    [InlineData(GeminiImageModels.Flash31, "1:4", true)]
    [InlineData(GeminiImageModels.Flash31, "4:1", true)]
    [InlineData(GeminiImageModels.Flash31, "1:8", true)]
    [InlineData(GeminiImageModels.Flash31, "8:1", true)]
    [InlineData(GeminiImageModels.Pro3, "1:4", false)]
    [InlineData(GeminiImageModels.Pro3, "8:1", false)]
    [InlineData(GeminiImageModels.FlashLite31, "1:8", false)]
    [InlineData(GeminiImageModels.Flash31, "7:5", false)]
    public void Only_flash_31_takes_the_extreme_aspect_ratios(string model, string ratio, bool accepted)
    {
        var problem = GeminiImageModels.Find(model)!.Check(ratio, null);

        Assert.Equal(accepted, problem is null);
        if (problem is not null)
        {
            Assert.Equal((GeminiImageConfigProblem.AspectRatioField, ratio), (problem.Field, problem.Value));
        }
    }

    [Theory]
    [InlineData(GeminiImageModels.Flash31, "512 1K 2K 4K")]
    [InlineData(GeminiImageModels.Pro3, "1K 2K 4K")]
    [InlineData(GeminiImageModels.FlashLite31, "1K")]
    public void Sizes_per_model(string model, string sizes)
    {
        var rules = GeminiImageModels.Find(model)!;

        Assert.Equal(sizes.Split(' '), rules.ImageSizes);
        Assert.All(["512", "1K", "2K", "4K", "1k", "8K"], size =>
            Assert.Equal(sizes.Split(' ').Contains(size), rules.Check(null, size) is null));
    }

    [Fact]
    public void A_problem_reads_as_one_line_naming_what_is_supported() =>
        Assert.Equal("imageSize '4K' is not supported by gemini-3.1-flash-lite-image (supported: 1K)",
            GeminiImageModels.Find(GeminiImageModels.FlashLite31)!.Check("1:1", "4K")!.Message);

    [Theory]
    [InlineData(GeminiImageModels.Pro3, "1K", 1120)]
    [InlineData(GeminiImageModels.Pro3, "2K", 1120)]
    [InlineData(GeminiImageModels.Pro3, "4K", 2000)]
    [InlineData(GeminiImageModels.Pro3, null, 1120)]
    [InlineData(GeminiImageModels.Flash31, "512", 747)]
    [InlineData(GeminiImageModels.Flash31, "1K", null)]
    [InlineData(GeminiImageModels.Flash31, "4K", null)]
    [InlineData(GeminiImageModels.FlashLite31, "1K", null)]
    public void Output_tokens_per_image_are_known_only_where_published(string model, string? size, int? tokens) =>
        Assert.Equal(tokens, GeminiImageModels.Find(model)!.OutputTokensFor(size));

    [Theory]
    [InlineData(GeminiImageModels.Flash31, 300, "512")]
    [InlineData(GeminiImageModels.Flash31, 512, "512")]
    [InlineData(GeminiImageModels.Flash31, 513, "1K")]
    [InlineData(GeminiImageModels.Pro3, 300, "1K")]
    [InlineData(GeminiImageModels.Pro3, 3000, "4K")]
    [InlineData(GeminiImageModels.Pro3, 9000, "4K")]
    [InlineData(GeminiImageModels.FlashLite31, 2048, "1K")]
    public void The_smallest_size_covering_a_long_edge(string model, int longEdge, string size) =>
        Assert.Equal(size, GeminiImageModels.Find(model)!.SmallestSizeCovering(longEdge));

    [Theory]
    [InlineData("gemini-3-pro-image", null, true)]
    [InlineData("gemini-2.0-flash-preview-image-generation", null, true)]
    [InlineData("nano-banana-pro-preview", null, true)]
    [InlineData("gemini-x", "Nano Banana 2", true)]
    [InlineData("imagen-4.0-generate-001", null, true)]
    [InlineData("gemini-2.5-flash", "Gemini 2.5 Flash", false)]
    [InlineData("gemini-embedding-001", null, false)]
    public void Image_models_are_recognised_by_id_or_display_name(string id, string? displayName, bool image) =>
        Assert.Equal(image, GeminiImageModels.LooksLikeImageModel(id, displayName));
}
