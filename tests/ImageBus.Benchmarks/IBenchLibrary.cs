namespace ImageBus.Benchmarks;

/// <summary>One image library doing the service's work: check the header (PNG/JPEG/WebP only, at most
/// <see cref="MaxInputPixels"/>), decode, cover-resize (centre crop) to 512x512 and 256x256, encode JPEG q80
/// (alpha flattened on white, no metadata) and WebP q80 of the 512x512 rendition. Throws for a refused input.</summary>
internal interface IBenchLibrary
{
    const int MaxInputPixels = 40_000_000;
    const int Width = 512;
    const int Height = 512;
    const int ThumbnailSize = 256;
    const int Quality = 80;

    string Title { get; }

    BenchOutput Process(byte[] input);
}

internal sealed record BenchOutput(int JpegBytes, int WebpBytes, int ThumbnailBytes);

internal static class Renditions
{
    /// <summary>Whether the square thumbnail can be cut from the rendition instead of the source: the rendition
    /// keeps the source's whole short side (its aspect lies between square and the source's) and is at least
    /// thumbnail-sized, so both crops show the same centre square at enough resolution.</summary>
    public static bool ThumbnailFitsRendition(int sourceWidth, int sourceHeight, int width, int height, int thumbnail)
    {
        var source = (double)sourceWidth / sourceHeight;
        var rendition = (double)width / height;
        var keepsSquare = source >= 1 ? rendition >= 1 && rendition <= source : rendition <= 1 && rendition >= source;
        return keepsSquare && Math.Min(width, height) >= thumbnail;
    }
}
