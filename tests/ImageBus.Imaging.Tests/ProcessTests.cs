using System.Text;
using Microsoft.Extensions.Options;
using NetVips;

namespace ImageBus.Imaging.Tests;

public sealed class ProcessTests
{
    private static VipsImageProcessor CreateProcessor(ImagingOptions? options = null) =>
        new(Options.Create(options ?? new ImagingOptions()));

    [Theory]
    [InlineData(ImageFormat.Png, 800, 600, 512, 512)]
    [InlineData(ImageFormat.Png, 400, 1000, 640, 360)]
    [InlineData(ImageFormat.Jpeg, 1000, 300, 300, 500)]
    [InlineData(ImageFormat.Jpeg, 600, 900, 1024, 768)]
    [InlineData(ImageFormat.Webp, 640, 480, 360, 640)]
    [InlineData(ImageFormat.Webp, 120, 80, 400, 400)]
    public void Process_outputs_exact_size_in_every_rendition(ImageFormat input, int sourceWidth, int sourceHeight, int width, int height)
    {
        var processed = CreateProcessor().Process(TestImages.Noise(input, sourceWidth, sourceHeight), width, height);

        Assert.Equal(new ImageInfo(ImageFormat.Jpeg, width, height), CreateProcessor().Inspect(processed.Jpeg.Bytes));
        Assert.Equal(new ImageInfo(ImageFormat.Webp, width, height), CreateProcessor().Inspect(processed.Webp.Bytes));
        Assert.Equal(new ImageInfo(ImageFormat.Jpeg, 256, 256), CreateProcessor().Inspect(processed.Thumbnail.Bytes));
        Assert.Equal((width, height, "image/jpeg"), (processed.Jpeg.Width, processed.Jpeg.Height, processed.Jpeg.ContentType));
        Assert.Equal((width, height, "image/webp"), (processed.Webp.Width, processed.Webp.Height, processed.Webp.ContentType));
        Assert.Equal((256, 256, "image/jpeg"), (processed.Thumbnail.Width, processed.Thumbnail.Height, processed.Thumbnail.ContentType));
    }

    [Fact]
    public void Outputs_decode_fully_to_pixels_of_the_stated_size()
    {
        var processed = CreateProcessor().Process(TestImages.Noise(ImageFormat.Png, 300, 200), 150, 100);

        var jpeg = TestImages.Decode(ImageFormat.Jpeg, processed.Jpeg.Bytes);
        var webp = TestImages.Decode(ImageFormat.Webp, processed.Webp.Bytes);

        Assert.Equal(150 * 100 * 3, jpeg.Pixels.Length);
        Assert.Equal(150 * 100 * webp.Bands, webp.Pixels.Length);
        Assert.Equal((150, 100), (webp.Width, webp.Height));
    }

    [Fact]
    public void Transparent_areas_become_white_in_jpeg_outputs()
    {
        // Left half opaque red, right half fully transparent black: flattening on black would keep it black.
        const int Size = 200;
        var pixels = new byte[Size * Size * 4];
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size / 2; x++)
            {
                var i = ((y * Size) + x) * 4;
                pixels[i] = 255;
                pixels[i + 3] = 255;
            }
        }

        var source = TestImages.Encode(ImageFormat.Png, pixels, Size, Size, 4);
        var processed = CreateProcessor().Process(source, 100, 100);

        foreach (var output in new[] { processed.Jpeg, processed.Thumbnail })
        {
            var decoded = TestImages.Decode(ImageFormat.Jpeg, output.Bytes);
            var right = decoded.PixelAt(decoded.Width * 3 / 4, decoded.Height / 2);
            var left = decoded.PixelAt(decoded.Width / 4, decoded.Height / 2);
            Assert.All(right.ToArray(), channel => Assert.True(channel >= 245, $"transparent area came out {channel}, not white"));
            Assert.True(left[0] >= 230 && left[1] <= 25 && left[2] <= 25, $"opaque area came out {left[0]},{left[1]},{left[2]}, not red");
        }
    }

    [Fact]
    public void Cover_resize_keeps_the_centre()
    {
        // Three vertical stripes, blue | green | red; a centre crop to a square sees only green.
        const int Third = 100;
        var pixels = new byte[Third * 3 * Third * 3];
        for (var y = 0; y < Third; y++)
        {
            for (var x = 0; x < Third * 3; x++)
            {
                pixels[(((y * Third * 3) + x) * 3) + (2 - (x / Third))] = 255;
            }
        }

        var source = TestImages.Encode(ImageFormat.Png, pixels, Third * 3, Third, 3);
        var decoded = TestImages.Decode(ImageFormat.Jpeg, CreateProcessor().Process(source, 90, 90).Jpeg.Bytes);

        foreach (var x in new[] { 5, 45, 84 })
        {
            var pixel = decoded.PixelAt(x, 45);
            Assert.True(pixel[1] >= 230 && pixel[0] <= 25 && pixel[2] <= 25, $"({x},45) is {pixel[0]},{pixel[1]},{pixel[2]}, not green");
        }
    }

    [Theory]
    [InlineData(400, 100)]
    [InlineData(100, 400)]
    public void The_thumbnail_is_the_centre_square_of_the_source_whatever_the_rendition(int width, int height)
    {
        // 500x100: blue, then the centre square (x 200-300) as red | green | red, then blue. A thumbnail cut from
        // the wrong region shows blue at its edges, or green all over.
        const int SourceWidth = 500;
        const int SourceHeight = 100;
        var pixels = new byte[SourceWidth * SourceHeight * 3];
        for (var y = 0; y < SourceHeight; y++)
        {
            for (var x = 0; x < SourceWidth; x++)
            {
                var band = x is < 200 or >= 300 ? 2 : x is >= 233 and < 267 ? 1 : 0;
                pixels[(((y * SourceWidth) + x) * 3) + band] = 255;
            }
        }

        var source = TestImages.Encode(ImageFormat.Png, pixels, SourceWidth, SourceHeight, 3);
        var options = new ImagingOptions { ThumbnailSize = 90 };
        var thumbnail = TestImages.Decode(ImageFormat.Jpeg, CreateProcessor(options).Process(source, width, height).Thumbnail.Bytes);

        Assert.Equal((90, 90), (thumbnail.Width, thumbnail.Height));
        foreach (var (x, band) in new[] { (8, 0), (45, 1), (81, 0) })
        {
            var pixel = thumbnail.PixelAt(x, 45).ToArray();
            Assert.True(pixel[band] >= 200 && pixel.Where((_, channel) => channel != band).All(value => value <= 60), $"({x},45) is {pixel[0]},{pixel[1]},{pixel[2]}");
        }
    }

    [Theory]
    [InlineData(1024, 1024, 512, 512, true)]
    [InlineData(1344, 768, 672, 384, true)]
    [InlineData(1344, 768, 512, 512, true)]
    [InlineData(768, 1344, 384, 672, true)]
    [InlineData(1344, 768, 360, 640, false)]
    [InlineData(1024, 1024, 640, 360, false)]
    [InlineData(1344, 768, 1024, 256, false)]
    [InlineData(1024, 1024, 200, 200, false)]
    public void The_thumbnail_is_cut_from_the_rendition_only_when_it_holds_the_source_centre_square(
        int sourceWidth, int sourceHeight, int width, int height, bool fromRendition)
    {
        var source = new ImageInfo(ImageFormat.Png, sourceWidth, sourceHeight);

        Assert.Equal(fromRendition, VipsImageProcessor.ThumbnailFitsRendition(source, width, height, 256));
    }

    [Fact]
    public void Metadata_is_stripped_from_every_output()
    {
        var marker = "imagebus-metadata-marker"u8.ToArray();
        using var plain = TestImages.FromPixels(TestImages.NoisePixels(300, 200, 3), 300, 200, 3);
        using var tagged = plain.Mutate(image => image.Set(GValue.BlobType, "xmp-data", Encoding.ASCII.GetBytes(
            $"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">{Encoding.ASCII.GetString(marker)}</x:xmpmeta>")));
        var source = tagged.JpegsaveBuffer(q: 90, keep: Enums.ForeignKeep.All);
        Assert.True(source.AsSpan().IndexOf(marker) >= 0, "the source should carry the marker");

        // 150x100 keeps the thumbnail on the rendition, 100x150 on the source: both paths are checked.
        foreach (var (width, height) in new[] { (150, 100), (100, 150) })
        {
            var processed = CreateProcessor(new ImagingOptions { ThumbnailSize = 64 }).Process(source, width, height);
            foreach (var output in new[] { processed.Jpeg, processed.Webp, processed.Thumbnail })
            {
                Assert.True(output.Bytes.AsSpan().IndexOf(marker) < 0, $"{output.ContentType} {output.Width}x{output.Height} kept the metadata");
            }
        }
    }

    [Fact]
    public void Thumbnail_size_and_jpeg_quality_come_from_options()
    {
        var source = TestImages.Noise(ImageFormat.Png, 300, 300);

        var low = CreateProcessor(new ImagingOptions { JpegQuality = 10, ThumbnailSize = 64 }).Process(source, 200, 200);
        var high = CreateProcessor(new ImagingOptions { JpegQuality = 95 }).Process(source, 200, 200);

        Assert.Equal((64, 64), (low.Thumbnail.Width, low.Thumbnail.Height));
        Assert.Equal(new ImageInfo(ImageFormat.Jpeg, 64, 64), CreateProcessor().Inspect(low.Thumbnail.Bytes));
        Assert.True(low.Jpeg.Bytes.Length * 2 < high.Jpeg.Bytes.Length, $"Q=10 gave {low.Jpeg.Bytes.Length} bytes, Q=95 {high.Jpeg.Bytes.Length}");
    }

    [Theory]
    [InlineData(ImageFormat.Png)]
    [InlineData(ImageFormat.Jpeg)]
    [InlineData(ImageFormat.Webp)]
    public void Inspect_reads_format_and_size_from_the_header(ImageFormat format)
    {
        Assert.Equal(new ImageInfo(format, 123, 45), CreateProcessor().Inspect(TestImages.Noise(format, 123, 45)));
    }
}
