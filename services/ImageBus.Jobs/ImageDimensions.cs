using ImageBus.Contracts;
using ImageBus.Gemini;

namespace ImageBus.Jobs;

/// <summary>Output size of an image: its long edge is the job's image size (or the item's enhancement tier's), its other
/// edge follows the aspect ratio (rounded to an even number of pixels, which encoders like).</summary>
public static class ImageDimensions
{
    /// <summary>The long edge of an item's output: its enhancement tier's (512, 1K = 1024, 2K = 2048, 4K = 4096) when it
    /// asks one, the job's image size otherwise.</summary>
    public static int LongEdge(CaseImageItem item, int jobImageSize) =>
        item.ImageSize is { } tier && GeminiImageModels.LongEdge(tier) is { } edge ? edge : jobImageSize;

    public static (int Width, int Height) For(string? aspectRatio, int longEdge)
    {
        var (w, h) = Parse(aspectRatio ?? AspectRatios.Square);
        var shortEdge = (int)Math.Round(longEdge * (double)Math.Min(w, h) / Math.Max(w, h) / 2) * 2;
        return w >= h ? (longEdge, shortEdge) : (shortEdge, longEdge);
    }

    static (int W, int H) Parse(string ratio)
    {
        var parts = ratio.Split(':');
        return parts.Length == 2 && int.TryParse(parts[0], out var w) && int.TryParse(parts[1], out var h) && w > 0 && h > 0
            ? (w, h)
            : throw new ArgumentException($"'{ratio}' is not an aspect ratio like 16:9", nameof(ratio));
    }
}
