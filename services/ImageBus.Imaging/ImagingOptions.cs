using System.ComponentModel.DataAnnotations;

namespace ImageBus.Imaging;

/// <summary>Encoding settings and input limits, bound from the <c>Imaging</c> configuration section.</summary>
public sealed class ImagingOptions
{
    public const string SectionName = "Imaging";

    [Range(1, 100)]
    public int JpegQuality { get; set; } = 85;

    [Range(1, 100)]
    public int WebpQuality { get; set; } = 80;

    /// <summary>Decompression-bomb guard: inputs whose header declares more pixels are refused before
    /// any pixel is decoded. Also caps the requested output size.</summary>
    [Range(1, long.MaxValue)]
    public long MaxInputPixels { get; set; } = 40_000_000;

    /// <summary>Largest source image (edit/enhance items) in bytes: what the gateway accepts as an upload and the worker
    /// downloads from a URL, one setting so that both refuse the same images.</summary>
    [Range(1, 100 * 1024 * 1024)]
    public int SourceImageMaxBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>Edge of the square, cover-cropped JPEG thumbnail.</summary>
    [Range(16, 4096)]
    public int ThumbnailSize { get; set; } = 256;
}
