using System.Text;
using Microsoft.Extensions.Options;
using NetVips;

namespace ImageBus.Imaging.Tests;

public sealed class RenderTests
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
    public void Every_rendition_has_its_exact_size(ImageFormat input, int sourceWidth, int sourceHeight, int width, int height)
    {
        var processor = CreateProcessor();
        var jpeg = processor.Render(TestImages.Noise(input, sourceWidth, sourceHeight), width, height);
        var webp = processor.ToWebp(jpeg.Bytes);
        var thumbnail = processor.ToThumbnail(jpeg.Bytes);

        Assert.Equal(new ImageInfo(ImageFormat.Jpeg, width, height), processor.Inspect(jpeg.Bytes));
        Assert.Equal(new ImageInfo(ImageFormat.Webp, width, height), processor.Inspect(webp.Bytes));
        Assert.Equal(new ImageInfo(ImageFormat.Jpeg, 256, 256), processor.Inspect(thumbnail.Bytes));
        Assert.Equal((width, height, "image/jpeg"), (jpeg.Width, jpeg.Height, jpeg.ContentType));
        Assert.Equal((width, height, "image/webp"), (webp.Width, webp.Height, webp.ContentType));
        Assert.Equal((256, 256, "image/jpeg"), (thumbnail.Width, thumbnail.Height, thumbnail.ContentType));
    }

    [Fact]
    public void A_source_of_the_requested_size_keeps_its_pixels()
    {
        // Resampling noise blurs it; a source already at the requested size is only re-encoded.
        var source = TestImages.Noise(ImageFormat.Png, 200, 200);
        var sameSize = TestImages.Decode(ImageFormat.Jpeg, CreateProcessor(new ImagingOptions { JpegQuality = 100 }).Render(source, 200, 200).Bytes);
        var original = TestImages.Decode(ImageFormat.Png, source);

        var difference = sameSize.Pixels.Zip(original.Pixels, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(difference < 8, $"mean difference {difference:0.0} per channel");
    }

    [Fact]
    public void Outputs_decode_fully_to_pixels_of_the_stated_size()
    {
        var processor = CreateProcessor();
        var rendered = processor.Render(TestImages.Noise(ImageFormat.Png, 300, 200), 150, 100);

        var jpeg = TestImages.Decode(ImageFormat.Jpeg, rendered.Bytes);
        var webp = TestImages.Decode(ImageFormat.Webp, processor.ToWebp(rendered.Bytes).Bytes);

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
        var jpeg = CreateProcessor().Render(source, 100, 100);

        foreach (var output in new[] { jpeg, CreateProcessor().ToThumbnail(jpeg.Bytes) })
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
        var decoded = TestImages.Decode(ImageFormat.Jpeg, CreateProcessor().Render(source, 90, 90).Bytes);

        foreach (var x in new[] { 5, 45, 84 })
        {
            var pixel = decoded.PixelAt(x, 45);
            Assert.True(pixel[1] >= 230 && pixel[0] <= 25 && pixel[2] <= 25, $"({x},45) is {pixel[0]},{pixel[1]},{pixel[2]}, not green");
        }
    }

    [Fact]
    public void The_thumbnail_is_the_centre_square_of_the_image()
    {
        // 500x100: blue, then the centre square (x 200-300) as red | green | red, then blue. A thumbnail cut from
        // the wrong region shows blue at its edges, or green all over.
        const int ImageWidth = 500;
        const int ImageHeight = 100;
        var pixels = new byte[ImageWidth * ImageHeight * 3];
        for (var y = 0; y < ImageHeight; y++)
        {
            for (var x = 0; x < ImageWidth; x++)
            {
                var band = x is < 200 or >= 300 ? 2 : x is >= 233 and < 267 ? 1 : 0;
                pixels[(((y * ImageWidth) + x) * 3) + band] = 255;
            }
        }

        var processor = CreateProcessor(new ImagingOptions { ThumbnailSize = 90 });
        var image = processor.Render(TestImages.Encode(ImageFormat.Png, pixels, ImageWidth, ImageHeight, 3), ImageWidth, ImageHeight);
        var thumbnail = TestImages.Decode(ImageFormat.Jpeg, processor.ToThumbnail(image.Bytes).Bytes);

        Assert.Equal((90, 90), (thumbnail.Width, thumbnail.Height));
        foreach (var (x, band) in new[] { (8, 0), (45, 1), (81, 0) })
        {
            var pixel = thumbnail.PixelAt(x, 45).ToArray();
            Assert.True(pixel[band] >= 200 && pixel.Where((_, channel) => channel != band).All(value => value <= 60), $"({x},45) is {pixel[0]},{pixel[1]},{pixel[2]}");
        }
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

        // 300x200 is the source's own size (no resampling), 100x150 a resize: both paths are checked.
        foreach (var (width, height) in new[] { (300, 200), (100, 150) })
        {
            var processor = CreateProcessor(new ImagingOptions { ThumbnailSize = 64 });
            var jpeg = processor.Render(source, width, height);
            foreach (var output in new[] { jpeg, processor.ToWebp(jpeg.Bytes), processor.ToThumbnail(jpeg.Bytes) })
            {
                Assert.True(output.Bytes.AsSpan().IndexOf(marker) < 0, $"{output.ContentType} {output.Width}x{output.Height} kept the metadata");
            }
        }
    }

    [Fact]
    public void Thumbnail_size_and_jpeg_quality_come_from_options()
    {
        var source = TestImages.Noise(ImageFormat.Png, 300, 300);

        var lowQuality = CreateProcessor(new ImagingOptions { JpegQuality = 10, ThumbnailSize = 64 });
        var low = lowQuality.Render(source, 200, 200);
        var high = CreateProcessor(new ImagingOptions { JpegQuality = 95 }).Render(source, 200, 200);
        var thumbnail = lowQuality.ToThumbnail(high.Bytes);

        Assert.Equal((64, 64), (thumbnail.Width, thumbnail.Height));
        Assert.Equal(new ImageInfo(ImageFormat.Jpeg, 64, 64), CreateProcessor().Inspect(thumbnail.Bytes));
        Assert.True(low.Bytes.Length * 2 < high.Bytes.Length, $"Q=10 gave {low.Bytes.Length} bytes, Q=95 {high.Bytes.Length}");
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
