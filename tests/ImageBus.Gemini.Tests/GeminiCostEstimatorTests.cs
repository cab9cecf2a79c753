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

    [Fact]
    public void A_model_without_a_price_reports_no_cost() =>
        Assert.Null(Costs.EstimateUsd("gemini-unpriced", 1, Usage));
}
