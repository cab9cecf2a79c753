using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace ImageBus.Benchmarks;

/// <summary>SixLabors.ImageSharp 2.1 (fully managed), decoding once.</summary>
internal sealed class ImageSharpLibrary : IBenchLibrary
{
    // Only the three accepted formats are known to this configuration, so no other decoder can run.
    private static readonly Configuration Formats = new(
        new PngConfigurationModule(), new JpegConfigurationModule(), new WebpConfigurationModule());

    private static readonly JpegEncoder JpegEncoder = new() { Quality = IBenchLibrary.Quality };

    private static readonly WebpEncoder WebpEncoder = new() { Quality = IBenchLibrary.Quality, FileFormat = WebpFileFormatType.Lossy };

    public string Title => "SixLabors.ImageSharp 2.1.13";

    public BenchOutput Process(byte[] input)
    {
        var info = Image.Identify(Formats, input, out _) ?? throw new InvalidDataException("unrecognised format");
        if ((long)info.Width * info.Height > IBenchLibrary.MaxInputPixels)
        {
            throw new InvalidDataException("too many pixels");
        }

        using var source = Image.Load(Formats, input);
        source.Metadata.ExifProfile = null;
        source.Metadata.IccProfile = null;
        source.Metadata.XmpProfile = null;
        source.Metadata.IptcProfile = null;
        var hasAlpha = source.PixelType.AlphaRepresentation is not (null or PixelAlphaRepresentation.None);

        using var rendition = source.Clone(x => x.Resize(Cover(IBenchLibrary.Width, IBenchLibrary.Height)));
        var jpeg = Encode(rendition, JpegEncoder, hasAlpha);
        var webp = Encode(rendition, WebpEncoder, flatten: false);
        var fromRendition = Renditions.ThumbnailFitsRendition(
            source.Width, source.Height, IBenchLibrary.Width, IBenchLibrary.Height, IBenchLibrary.ThumbnailSize);
        using var thumbnail = (fromRendition ? rendition : source).Clone(x => x.Resize(Cover(IBenchLibrary.ThumbnailSize, IBenchLibrary.ThumbnailSize)));
        return new BenchOutput(jpeg, webp, Encode(thumbnail, JpegEncoder, hasAlpha));
    }

    private static ResizeOptions Cover(int width, int height) =>
        new() { Size = new Size(width, height), Mode = ResizeMode.Crop, Position = AnchorPositionMode.Center };

    private static int Encode(Image image, IImageEncoder encoder, bool flatten)
    {
        using var output = new MemoryStream();
        if (flatten)
        {
            using var flat = image.Clone(x => x.BackgroundColor(Color.White));
            flat.Save(output, encoder);
        }
        else
        {
            image.Save(output, encoder);
        }

        return (int)output.Length;
    }
}
