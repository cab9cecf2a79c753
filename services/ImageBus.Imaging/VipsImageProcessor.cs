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

    public EncodedImage Render(ReadOnlyMemory<byte> source, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if ((long)width * height > _options.MaxInputPixels)
        {
            throw new ArgumentOutOfRangeException(
                nameof(width), $"{width}x{height} is over the limit of {_options.MaxInputPixels} pixels.");
        }

        var data = ArrayOf(source);
        var info = ReadHeader(data, Recognise(data));
        using var rendition = info.Width == width && info.Height == height
            ? DecodeWhole(data, info.Format)
            : DecodeCoverResized(data, info.Format, width, height);
        return Encode(rendition, ImageFormat.Jpeg);
    }

    public EncodedImage ToWebp(ReadOnlyMemory<byte> image)
    {
        var data = ArrayOf(image);
        var info = ReadHeader(data, Recognise(data));
        using var whole = DecodeWhole(data, info.Format);
        return Encode(whole, ImageFormat.Webp);
    }

    public EncodedImage ToThumbnail(ReadOnlyMemory<byte> image)
    {
        var data = ArrayOf(image);
        var info = ReadHeader(data, Recognise(data));
        // From a JPEG, libvips shrinks while loading: the cheapest path to a small square.
        using var thumbnail = DecodeCoverResized(data, info.Format, _options.ThumbnailSize, _options.ThumbnailSize);
        return Encode(thumbnail, ImageFormat.Jpeg);
    }

    // NetVips takes arrays (and copies them into libvips's own memory); reuse the caller's when it is one.
    private static byte[] ArrayOf(ReadOnlyMemory<byte> source) =>
        MemoryMarshal.TryGetArray(source, out var segment) && segment is { Offset: 0, Array: { } array } && segment.Count == array.Length
            ? array
            : source.ToArray();

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

    /// <summary>Decodes at the image's own size, fully here, so a damaged body fails as <c>corrupt</c> before any encoding.</summary>
    private static Image DecodeWhole(byte[] data, ImageFormat format)
    {
        try
        {
            using var loaded = Image.NewFromBuffer(data, "fail_on=truncated", access: Enums.Access.Sequential, failOn: Enums.FailOn.Truncated);
            return loaded.CopyMemory();
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
