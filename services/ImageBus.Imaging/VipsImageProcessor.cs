using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using NetVips;

namespace ImageBus.Imaging;

/// <summary><see cref="IImageProcessor"/> on libvips through NetVips. Stateless apart from its options, so one
/// instance serves all threads.</summary>
public sealed class VipsImageProcessor : IImageProcessor
{
    // JPEG has no alpha: flatten transparency on white, not on libvips's default black.
    private static readonly double[] White = [255];

    private readonly ImagingOptions _options;

    public VipsImageProcessor(IOptions<ImagingOptions> options)
    {
        _options = options.Value;
        LibvipsSetup.EnsureApplied();
    }

    public ImageInfo Inspect(ReadOnlySpan<byte> data)
    {
        var format = Recognise(data);
        return ReadHeader(data.ToArray(), format);
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

        // NetVips takes arrays (and copies them into libvips's own memory); reuse the caller's when it is one.
        var data = MemoryMarshal.TryGetArray(source, out var segment) && segment is { Offset: 0, Array: { } array } && segment.Count == array.Length
            ? array
            : source.ToArray();
        var info = ReadHeader(data, Recognise(data));
        var thumbnailSize = _options.ThumbnailSize;

        using var rendition = DecodeCoverResized(data, info.Format, width, height);
        var jpeg = Encode(rendition, ImageFormat.Jpeg);
        var webp = Encode(rendition, ImageFormat.Webp);
        using var thumbnail = ThumbnailFitsRendition(info, width, height, thumbnailSize)
            ? rendition.ThumbnailImage(thumbnailSize, height: thumbnailSize, size: Enums.Size.Both, crop: Enums.Interesting.Centre)
            : DecodeCoverResized(data, info.Format, thumbnailSize, thumbnailSize);
        return new ProcessedImage(jpeg, webp, Encode(thumbnail, ImageFormat.Jpeg));
    }

    /// <summary>Whether the square thumbnail can be cut from the rendition instead of decoding the source again:
    /// the rendition keeps the source's whole short side (its aspect lies between square and the source's) and is
    /// at least thumbnail-sized, so both crops show the same centre square at full resolution. PNG has no
    /// shrink-on-load, so a second decode would double the cost of a PNG input (BENCH-IMAGING.md).</summary>
    internal static bool ThumbnailFitsRendition(ImageInfo source, int width, int height, int thumbnailSize)
    {
        var sourceAspect = (double)source.Width / source.Height;
        var aspect = (double)width / height;
        var keepsSquare = sourceAspect >= 1 ? aspect >= 1 && aspect <= sourceAspect : aspect <= 1 && aspect >= sourceAspect;
        return keepsSquare && Math.Min(width, height) >= thumbnailSize;
    }

    private static ImageFormat Recognise(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            throw new ImageProcessingException(ImageProcessingReasons.Empty, "The image is empty (0 bytes).");
        }

        return ImageSignature.Detect(data) ?? throw new ImageProcessingException(
            ImageProcessingReasons.UnsupportedFormat,
            "The data is not a PNG, JPEG or WebP image (unrecognised signature).");
    }

    /// <summary>Reads the size from the header alone and applies the pixel limit before any pixel is decoded.</summary>
    private ImageInfo ReadHeader(byte[] data, ImageFormat format)
    {
        int width;
        int height;
        try
        {
            // The loader the signature names reads the header; the blocking in LibvipsSetup leaves the
            // thumbnail's own format sniffing below no other loader to pick.
            using var header = format switch
            {
                ImageFormat.Png => Image.PngloadBuffer(data),
                ImageFormat.Jpeg => Image.JpegloadBuffer(data),
                _ => Image.WebploadBuffer(data),
            };
            (width, height) = (header.Width, header.Height);
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

    /// <summary>Shrinks while loading where the format allows (JPEG, WebP) and decodes fully here, so a truncated
    /// or garbled body fails as <c>corrupt</c> before any encoding. The loader honours <c>fail_on</c> only when it
    /// is also in its own option string.</summary>
    private static Image DecodeCoverResized(byte[] data, ImageFormat format, int width, int height)
    {
        try
        {
            using var pipeline = Image.ThumbnailBuffer(
                data, width, optionString: "fail_on=truncated", height: height, size: Enums.Size.Both,
                crop: Enums.Interesting.Centre, failOn: Enums.FailOn.Truncated);
            return pipeline.CopyMemory();
        }
        catch (VipsException ex)
        {
            throw Corrupt(format, "its pixel data could not be decoded (damaged or truncated)", ex);
        }
    }

    private EncodedImage Encode(Image image, ImageFormat format)
    {
        try
        {
            var bytes = format == ImageFormat.Jpeg
                ? image.JpegsaveBuffer(q: _options.JpegQuality, keep: Enums.ForeignKeep.None, background: White)
                : image.WebpsaveBuffer(q: _options.WebpQuality, keep: Enums.ForeignKeep.None);
            return new EncodedImage(bytes, image.Width, image.Height, format == ImageFormat.Jpeg ? "image/jpeg" : "image/webp");
        }
        catch (VipsException ex)
        {
            throw new ImageProcessingException(
                ImageProcessingReasons.EncodeFailed, $"Encoding the {format} output failed: {Detail(ex)}", ex);
        }
    }

    /// <summary>libvips's text can be empty (a PNG signature followed by garbage), so the message always starts
    /// with our own explanation.</summary>
    private static ImageProcessingException Corrupt(ImageFormat format, string problem, VipsException cause)
    {
        var detail = Detail(cause);
        return new(
            ImageProcessingReasons.Corrupt,
            detail.Length == 0
                ? $"The {format} image is corrupt: {problem}."
                : $"The {format} image is corrupt: {problem}. libvips: {detail}",
            cause);
    }

    /// <summary>NetVips's message is its own line and then libvips's error buffer, which all threads share: a
    /// diagnostic only, put on one line.</summary>
    private static string Detail(VipsException exception) =>
        string.Join("; ", exception.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
