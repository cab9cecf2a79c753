using ImageBus.Contracts;

namespace ImageBus.Jobs;

/// <summary>Output size of an image: its long edge is the job's image size, its other edge follows
/// the aspect ratio (rounded to an even number of pixels, which encoders like).</summary>
public static class ImageDimensions
{
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
