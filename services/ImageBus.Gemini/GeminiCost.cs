using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ImageBus.Gemini;

/// <summary>One model's price, in US dollars (section <c>Gemini:Prices:{model}</c>). Set a flat
/// <see cref="PerImage"/>, per-token prices, or both (they add up).</summary>
public sealed class GeminiPrice
{
    /// <summary>USD per image returned.</summary>
    [Range(typeof(decimal), "0", "1000")]
    public decimal PerImage { get; set; }

    /// <summary>USD per million prompt (input) tokens, as Gemini reports them in <c>usageMetadata.promptTokenCount</c>.</summary>
    [Range(typeof(decimal), "0", "100000")]
    public decimal InputPerMillionTokens { get; set; }

    /// <summary>USD per million output tokens (<c>candidatesTokenCount</c>; an image is billed as output tokens).</summary>
    [Range(typeof(decimal), "0", "100000")]
    public decimal OutputPerMillionTokens { get; set; }

    internal bool IsPerTokenOnly => PerImage == 0 && (InputPerMillionTokens > 0 || OutputPerMillionTokens > 0);
}

/// <summary>Estimates what Gemini calls cost from <see cref="GeminiOptions.Prices"/>.</summary>
public sealed class GeminiCostEstimator(IOptions<GeminiOptions> options)
{
    /// <summary>USD for <paramref name="images"/> images made by <paramref name="model"/> with <paramref name="usage"/>
    /// tokens in total; null when the model has no price, or is priced by token and neither Gemini reported usage nor
    /// <see cref="GeminiImageModels"/> knows the output tokens per image of <paramref name="imageSize"/>.</summary>
    /// <param name="imageSize">The size asked for (null: the model's default), used only when usage is missing: the
    /// estimate is then the images' published output tokens, without the (small) prompt.</param>
    /// <param name="batched">Made through the Batch API: the estimate is scaled by <see cref="GeminiOptions.BatchPriceFactor"/>.</param>
    public decimal? EstimateUsd(string model, int images, GeminiUsage? usage, string? imageSize = null, bool batched = false) =>
        LiveUsd(model, images, usage, imageSize) * (batched ? options.Value.BatchPriceFactor : 1m);

    private decimal? LiveUsd(string model, int images, GeminiUsage? usage, string? imageSize)
    {
        if (!options.Value.Prices.TryGetValue(model, out var price))
        {
            return null;
        }

        const decimal Million = 1_000_000m;
        if (usage is null)
        {
            if (!price.IsPerTokenOnly)
            {
                return images * price.PerImage;
            }

            return GeminiImageModels.Find(model)?.OutputTokensFor(imageSize) is { } perImage
                ? images * perImage * price.OutputPerMillionTokens / Million
                : null;
        }

        var tokens = (usage.PromptTokenCount * price.InputPerMillionTokens + usage.CandidatesTokenCount * price.OutputPerMillionTokens) / Million;
        return images * price.PerImage + tokens;
    }
}
