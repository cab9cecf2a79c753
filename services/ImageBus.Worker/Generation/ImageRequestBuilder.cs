using ImageBus.Contracts;
using ImageBus.Gemini;
using Microsoft.Extensions.Options;

namespace ImageBus.Worker.Generation;

/// <summary>The Gemini request for one image, live or batched alike: its prompt, ratio, size tier, source image and model.</summary>
public sealed class ImageRequestBuilder(IOptions<GeminiOptions> geminiOptions)
{
    /// <summary>The long edge of Gemini's 1K size, the smallest one sent unasked.</summary>
    const int OneKLongEdge = 1024;

    /// <summary>The command's model, or the worker's <c>Gemini:Model</c> for a command sent before jobs had models.</summary>
    public string ModelOf(GenerateImage command) => command.Model ?? geminiOptions.Value.Model;

    public GeminiImageRequest Build(GenerateImage command, string prompt, SourceImage? source)
    {
        var model = ModelOf(command);
        return new GeminiImageRequest(
            prompt,
            command.Item.AspectRatio ?? AspectRatios.Square,
            ImageSizeOf(command),
            source?.Bytes,
            source?.MimeType,
            model);
    }

    /// <summary>The size tier asked of Gemini: the item's own, else the model's smallest that covers the output.</summary>
    public string ImageSizeOf(GenerateImage command) =>
        command.Item.ImageSize ?? GeminiImageSize(ModelOf(command), Math.Max(command.Width, command.Height));

    /// <summary>For an item that asks no tier: the smallest of the model's sizes from 1K up whose long edge covers the
    /// output's. The 512 tier only when an item asks for it, as before items had tiers.</summary>
    static string GeminiImageSize(string model, int longEdge) =>
        GeminiImageModels.RulesOf(model).SmallestSizeCovering(Math.Max(longEdge, OneKLongEdge));
}
