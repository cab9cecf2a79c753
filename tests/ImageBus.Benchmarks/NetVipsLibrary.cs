using ImageBus.Imaging;
using NetVips;
using VipsRuntime = NetVips.NetVips;

namespace ImageBus.Benchmarks;

/// <summary>NetVips 3.2 with the libvips 8.18 of NetVips.Native. With <c>oneDecode</c> false it makes the same
/// calls as the own binding (a thumbnail from the buffer per rendition, so two decodes); with true it cuts the
/// square thumbnail from the rendition when <see cref="Renditions.ThumbnailFitsRendition"/> allows.</summary>
internal sealed class NetVipsLibrary : IBenchLibrary
{
    private readonly bool _oneDecode;

    static NetVipsLibrary()
    {
        if (!ModuleInitializer.VipsInitialized)
        {
            throw new InvalidOperationException("libvips did not initialise", ModuleInitializer.Exception);
        }

        Cache.Max = 0;
        VipsRuntime.BlockUntrusted = true;
        Operation.Block("VipsForeignLoad", true);
        foreach (var loader in new[] { "VipsForeignLoadPngBuffer", "VipsForeignLoadJpegBuffer", "VipsForeignLoadWebpBuffer" })
        {
            Operation.Block(loader, false);
        }
    }

    public NetVipsLibrary(bool oneDecode)
    {
        _oneDecode = oneDecode;
    }

    public string Title => $"NetVips 3.2.0, libvips {VipsRuntime.Version(0)}.{VipsRuntime.Version(1)}.{VipsRuntime.Version(2)}"
        + (_oneDecode ? ", thumbnail from the rendition" : ", two decodes as the own binding");

    public BenchOutput Process(byte[] input)
    {
        var format = ImageSignature.Detect(input) ?? throw new InvalidDataException("unrecognised signature");
        int sourceWidth;
        int sourceHeight;
        using (var header = format switch
        {
            ImageFormat.Png => Image.PngloadBuffer(input),
            ImageFormat.Jpeg => Image.JpegloadBuffer(input),
            _ => Image.WebploadBuffer(input),
        })
        {
            (sourceWidth, sourceHeight) = (header.Width, header.Height);
        }

        if ((long)sourceWidth * sourceHeight > IBenchLibrary.MaxInputPixels)
        {
            throw new InvalidDataException("too many pixels");
        }

        using var rendition = CoverResize(input, IBenchLibrary.Width, IBenchLibrary.Height);
        var jpeg = Jpeg(rendition);
        var webp = rendition.WebpsaveBuffer(q: IBenchLibrary.Quality, keep: Enums.ForeignKeep.None);
        using var thumbnail = _oneDecode && Renditions.ThumbnailFitsRendition(
            sourceWidth, sourceHeight, IBenchLibrary.Width, IBenchLibrary.Height, IBenchLibrary.ThumbnailSize)
            ? rendition.ThumbnailImage(IBenchLibrary.ThumbnailSize, height: IBenchLibrary.ThumbnailSize, size: Enums.Size.Both, crop: Enums.Interesting.Centre)
            : CoverResize(input, IBenchLibrary.ThumbnailSize, IBenchLibrary.ThumbnailSize);
        return new BenchOutput(jpeg.Length, webp.Length, Jpeg(thumbnail).Length);
    }

    private static Image CoverResize(byte[] input, int width, int height)
    {
        using var pipeline = Image.ThumbnailBuffer(
            input, width, optionString: "fail_on=truncated", height: height, size: Enums.Size.Both,
            crop: Enums.Interesting.Centre, failOn: Enums.FailOn.Truncated);
        return pipeline.CopyMemory();
    }

    private static byte[] Jpeg(Image image) =>
        image.JpegsaveBuffer(q: IBenchLibrary.Quality, keep: Enums.ForeignKeep.None, background: [255.0]);
}
