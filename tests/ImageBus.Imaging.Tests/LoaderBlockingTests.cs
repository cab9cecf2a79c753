using System.Text;
using Microsoft.Extensions.Options;
using NetVips;

namespace ImageBus.Imaging.Tests;

/// <summary>Formats this libvips can read but ImageBus does not accept, made by libvips's own savers: refused
/// by the processor, and blocked inside libvips too, should anything ever hand them to it.</summary>
public sealed class LoaderBlockingTests
{
    private readonly VipsImageProcessor _processor = new(Options.Create(new ImagingOptions()));

    [Theory]
    [InlineData("gif")]
    [InlineData("tiff")]
    [InlineData("avif")]
    public void Formats_other_than_png_jpeg_and_webp_are_refused_and_their_loaders_blocked(string codec)
    {
        using var image = TestImages.FromPixels(TestImages.SolidPixels(16, 16, 10, 20, 30), 16, 16, 3);
        var (encoded, load) = codec switch
        {
            "gif" => (image.GifsaveBuffer(), (Func<byte[], Image>)(data => Image.GifloadBuffer(data))),
            "tiff" => (image.TiffsaveBuffer(), data => Image.TiffloadBuffer(data)),
            _ => (image.HeifsaveBuffer(compression: Enums.ForeignHeifCompression.Av1, effort: 0), data => Image.HeifloadBuffer(data)),
        };

        Assert.Equal(ImageProcessingReasons.UnsupportedFormat, Assert.Throws<ImageProcessingException>(() => _processor.Render(encoded, 8, 8)).Reason);
        AssertBlocked(() => load(encoded));
        // libvips's own format sniffing finds no loader willing to take it either.
        Assert.Throws<VipsException>(() => LoadAndDecode(() => Image.NewFromBuffer(encoded)));
    }

    [Fact]
    public void Svg_is_refused_and_its_loader_blocked()
    {
        var svg = Encoding.UTF8.GetBytes("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"16\" height=\"16\"><rect width=\"16\" height=\"16\"/></svg>");

        Assert.Equal(ImageProcessingReasons.UnsupportedFormat, Assert.Throws<ImageProcessingException>(() => _processor.Render(svg, 8, 8)).Reason);
        AssertBlocked(() => Image.SvgloadBuffer(svg));
        Assert.Throws<VipsException>(() => LoadAndDecode(() => Image.NewFromBuffer(svg)));
    }

    [Theory]
    [InlineData(ImageFormat.Png)]
    [InlineData(ImageFormat.Jpeg)]
    [InlineData(ImageFormat.Webp)]
    public void The_allowed_loaders_still_load_through_libvips_sniffing(ImageFormat format)
    {
        using var image = Image.NewFromBuffer(TestImages.Noise(format, 8, 6));

        Assert.Equal((8, 6), (image.Width, image.Height));
    }

    private static void AssertBlocked(Func<Image> load)
    {
        var error = Assert.Throws<VipsException>(() => LoadAndDecode(load));
        Assert.Contains("blocked", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    private static void LoadAndDecode(Func<Image> load)
    {
        using var image = load();
        using var decoded = image.CopyMemory();
    }
}
