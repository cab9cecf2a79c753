using SkiaSharp;

namespace ImageBus.Benchmarks;

/// <summary>SkiaSharp 4 (Skia with its own codecs), decoding once.</summary>
internal sealed class SkiaSharpLibrary : IBenchLibrary
{
    // Mipmapped linear sampling: plain bilinear or cubic skip pixels when shrinking by 2x or more.
    private static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    public string Title => "SkiaSharp 4.155.0";

    public BenchOutput Process(byte[] input)
    {
        using var data = SKData.CreateCopy(input);
        using var codec = SKCodec.Create(data) ?? throw new InvalidDataException("unrecognised format");
        if (codec.EncodedFormat is not (SKEncodedImageFormat.Png or SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Webp))
        {
            throw new InvalidDataException($"{codec.EncodedFormat} is not accepted");
        }

        var info = codec.Info;
        if ((long)info.Width * info.Height > IBenchLibrary.MaxInputPixels)
        {
            throw new InvalidDataException("too many pixels");
        }

        var opaque = info.AlphaType == SKAlphaType.Opaque;
        var decodeInfo = new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, opaque ? SKAlphaType.Opaque : SKAlphaType.Premul);
        using var bitmap = new SKBitmap(decodeInfo);
        var result = codec.GetPixels(decodeInfo, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
        {
            // IncompleteInput (truncated) included: half an image is not an image.
            throw new InvalidDataException($"decode failed: {result}");
        }

        bitmap.SetImmutable();
        using var source = SKImage.FromBitmap(bitmap);
        using var rendition = CoverResize(source, IBenchLibrary.Width, IBenchLibrary.Height, SKColors.White);
        using var transparent = opaque ? null : CoverResize(source, IBenchLibrary.Width, IBenchLibrary.Height, SKColors.Transparent);
        var jpeg = Encode(rendition, SKEncodedImageFormat.Jpeg);
        var webp = Encode(transparent ?? rendition, SKEncodedImageFormat.Webp);
        var fromRendition = Renditions.ThumbnailFitsRendition(
            info.Width, info.Height, IBenchLibrary.Width, IBenchLibrary.Height, IBenchLibrary.ThumbnailSize);
        using var thumbnail = CoverResize(fromRendition ? rendition : source, IBenchLibrary.ThumbnailSize, IBenchLibrary.ThumbnailSize, SKColors.White);
        return new BenchOutput(jpeg, webp, Encode(thumbnail, SKEncodedImageFormat.Jpeg));
    }

    /// <summary>Draws the centre of <paramref name="source"/> that has the target's aspect onto a surface cleared
    /// to <paramref name="background"/>: white flattens transparency for JPEG.</summary>
    private static SKImage CoverResize(SKImage source, int width, int height, SKColor background)
    {
        var scale = Math.Max((double)width / source.Width, (double)height / source.Height);
        var (cropWidth, cropHeight) = (width / scale, height / scale);
        var crop = SKRect.Create((float)((source.Width - cropWidth) / 2), (float)((source.Height - cropHeight) / 2), (float)cropWidth, (float)cropHeight);
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException("no surface");
        surface.Canvas.Clear(background);
        surface.Canvas.DrawImage(source, crop, SKRect.Create(width, height), Sampling, null);
        return surface.Snapshot();
    }

    private static int Encode(SKImage image, SKEncodedImageFormat format)
    {
        using var encoded = image.Encode(format, IBenchLibrary.Quality) ?? throw new InvalidOperationException($"{format} encoding failed");
        return (int)encoded.Size;
    }
}
