using ImageBus.Imaging.Native;
using Microsoft.Extensions.Options;

namespace ImageBus.Imaging;

/// <summary><see cref="IImageProcessor"/> on the system libvips. Stateless apart from its options, so one
/// instance serves all threads.</summary>
public sealed class VipsImageProcessor : IImageProcessor
{
    private readonly ImagingOptions _options;
    private readonly string _jpegSaveOptions;
    private readonly string _webpSaveOptions;

    public VipsImageProcessor(IOptions<ImagingOptions> options)
    {
        _options = options.Value;
        // JPEG has no alpha: flatten transparency on white, not on libvips's default black.
        _jpegSaveOptions = $"Q={_options.JpegQuality},strip,background=255";
        _webpSaveOptions = $"Q={_options.WebpQuality},strip";
        VipsRuntime.EnsureInitialized();
    }

    public ImageInfo Inspect(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            throw new ImageProcessingException(ImageProcessingReasons.Empty, "The image is empty (0 bytes).");
        }

        var format = ImageSignature.Detect(data) ?? throw new ImageProcessingException(
            ImageProcessingReasons.UnsupportedFormat,
            "The data is not a PNG, JPEG or WebP image (unrecognised signature).");

        int width;
        int height;
        try
        {
            using var image = VipsImage.Load(format, data);
            (width, height) = (image.Width, image.Height);
        }
        catch (VipsException ex)
        {
            throw Corrupt(format, "its header could not be read", ex);
        }

        if ((long)width * height > _options.MaxInputPixels)
        {
            throw new ImageProcessingException(
                ImageProcessingReasons.TooManyPixels,
                $"The {format} image is {width}x{height} pixels, over the limit of {_options.MaxInputPixels} pixels.");
        }

        return new ImageInfo(format, width, height);
    }

    public ProcessedImage Process(ReadOnlyMemory<byte> source, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if ((long)width * height > _options.MaxInputPixels)
        {
            throw new ArgumentOutOfRangeException(
                nameof(width), $"{width}x{height} is over the limit of {_options.MaxInputPixels} pixels.");
        }

        var data = source.Span;
        var format = Inspect(data).Format;
        using var resized = DecodeCoverResized(data, format, width, height);
        using var thumbnail = DecodeCoverResized(data, format, _options.ThumbnailSize, _options.ThumbnailSize);
        return new ProcessedImage(
            Encode(resized, ImageFormat.Jpeg, _jpegSaveOptions),
            Encode(resized, ImageFormat.Webp, _webpSaveOptions),
            Encode(thumbnail, ImageFormat.Jpeg, _jpegSaveOptions));
    }

    /// <summary>Decodes fully here, so a truncated or garbled body fails as <c>corrupt</c> before any encoding.</summary>
    private static VipsImage DecodeCoverResized(ReadOnlySpan<byte> data, ImageFormat format, int width, int height)
    {
        try
        {
            using var pipeline = VipsImage.CoverResize(data, width, height);
            return pipeline.Render();
        }
        catch (VipsException ex)
        {
            throw Corrupt(format, "its pixel data could not be decoded (damaged or truncated)", ex);
        }
    }

    private static EncodedImage Encode(VipsImage image, ImageFormat format, string saveOptions)
    {
        try
        {
            return new EncodedImage(image.Save(format, saveOptions), image.Width, image.Height, ContentType(format));
        }
        catch (VipsException ex)
        {
            throw new ImageProcessingException(
                ImageProcessingReasons.EncodeFailed, $"Encoding the {format} output failed: {ex.Message}", ex);
        }
    }

    /// <summary>libvips's text can be empty (a PNG signature followed by garbage), so the message always
    /// starts with our own explanation.</summary>
    private static ImageProcessingException Corrupt(ImageFormat format, string problem, VipsException cause) =>
        new(
            ImageProcessingReasons.Corrupt,
            cause.Detail.Length == 0
                ? $"The {format} image is corrupt: {problem}."
                : $"The {format} image is corrupt: {problem}. libvips: {cause.Detail}",
            cause);

    private static string ContentType(ImageFormat format) => format switch
    {
        ImageFormat.Png => "image/png",
        ImageFormat.Jpeg => "image/jpeg",
        ImageFormat.Webp => "image/webp",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown image format."),
    };
}
