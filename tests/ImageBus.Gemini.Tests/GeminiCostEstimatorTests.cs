using Microsoft.Extensions.Options;

namespace ImageBus.Gemini.Tests;

/// <summary>The price table: flat per image, per token, both, and what is left unpriced.</summary>
public sealed class GeminiCostEstimatorTests
{
    private static readonly GeminiCostEstimator Costs = new(Options.Create(new GeminiOptions
    {
        Prices =
        {
            ["by-token"] = new GeminiPrice { InputPerMillionTokens = 0.30m, OutputPerMillionTokens = 30m },
            ["by-image"] = new GeminiPrice { PerImage = 0.04m },
            ["both"] = new GeminiPrice { PerImage = 0.01m, OutputPerMillionTokens = 10m },
            [GeminiImageModels.Pro3] = new GeminiPrice { InputPerMillionTokens = 2m, OutputPerMillionTokens = 120m },
        },
    }));

    private static readonly GeminiUsage Usage = new(PromptTokenCount: 100, CandidatesTokenCount: 1290, TotalTokenCount: 1390);

    [Fact]
    public void Tokens_are_priced_per_million() =>
        Assert.Equal(0.00003m + 0.0387m, Costs.EstimateUsd("by-token", 1, Usage));

    [Fact]
    public void A_flat_price_counts_images_whether_or_not_usage_came() =>
        Assert.Equal(0.08m, Costs.EstimateUsd("by-image", 2, null));

    [Fact]
    public void Flat_and_token_prices_add_up() =>
        Assert.Equal(0.01m + 0.0129m, Costs.EstimateUsd("both", 1, Usage));

    [Fact]
    public void A_token_price_without_usage_is_unknown_not_zero() =>
        Assert.Null(Costs.EstimateUsd("by-token", 1, null));

    [Theory]
    [InlineData("1K", "0.1344")]
    [InlineData("2K", "0.1344")]
    [InlineData("4K", "0.24")]
    [InlineData(null, "0.1344")]
    public void Without_usage_a_published_token_count_per_image_gives_the_estimate(string? size, string usd) =>
        Assert.Equal(decimal.Parse(usd, System.Globalization.CultureInfo.InvariantCulture),
            Costs.EstimateUsd(GeminiImageModels.Pro3, 1, null, size));

    [Fact]
    public void Without_usage_an_unpublished_token_count_stays_unknown() =>
        Assert.Null(Costs.EstimateUsd("by-token", 1, null, "1K"));

    [Fact]
    public void A_model_without_a_price_reports_no_cost() =>
        Assert.Null(Costs.EstimateUsd("gemini-unpriced", 1, Usage));
}
