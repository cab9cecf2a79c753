using System.Text;
using Microsoft.Extensions.Options;

namespace ImageBus.Imaging.Tests;

public sealed class RejectionTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private readonly VipsImageProcessor _processor = new(Options.Create(new ImagingOptions()));

    public static TheoryData<string, byte[], string> BadInputs()
    {
        var garbage = new byte[4096];
        new Random(3).NextBytes(garbage);
        garbage[0] = 0x00;

        return new TheoryData<string, byte[], string>
        {
            { "empty", [], ImageProcessingReasons.Empty },
            { "garbage", garbage, ImageProcessingReasons.UnsupportedFormat },
            { "gif", Encoding.ASCII.GetBytes("GIF89a\x01\x00\x01\x00\x80\x00\x00"), ImageProcessingReasons.UnsupportedFormat },
            { "pdf", Encoding.ASCII.GetBytes("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"), ImageProcessingReasons.UnsupportedFormat },
            { "png signature then garbage", [.. PngSignature, .. garbage], ImageProcessingReasons.Corrupt },
            { "png signature only", PngSignature, ImageProcessingReasons.Corrupt },
            { "riff without webp", Encoding.ASCII.GetBytes("RIFF\x10\x00\x00\x00WAVEfmt "), ImageProcessingReasons.UnsupportedFormat },
        };
    }

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Bad_input_is_refused_with_a_reason_and_a_message(string name, byte[] data, string reason)
    {
        var error = Assert.Throws<ImageProcessingException>(() => _processor.Render(data, 64, 64));

        Assert.True(reason == error.Reason, $"{name}: expected {reason}, got {error.Reason} ({error.Message})");
        Assert.False(string.IsNullOrWhiteSpace(error.Message), name);
    }

    [Theory]
    [InlineData(ImageFormat.Png)]
    [InlineData(ImageFormat.Jpeg)]
    [InlineData(ImageFormat.Webp)]
    public void Truncated_input_is_refused_as_corrupt(ImageFormat format)
    {
        var whole = TestImages.Noise(format, 400, 300);
        var truncated = whole[..(whole.Length / 2)];

        var error = Assert.Throws<ImageProcessingException>(() => _processor.Render(truncated, 100, 100));

        Assert.Equal(ImageProcessingReasons.Corrupt, error.Reason);
        Assert.Contains(format.ToString(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inputs_over_the_pixel_limit_are_refused_before_decoding()
    {
        var processor = new VipsImageProcessor(Options.Create(new ImagingOptions { MaxInputPixels = 10_000 }));
        var tooBig = TestImages.Noise(ImageFormat.Png, 101, 100);
        var atLimit = TestImages.Noise(ImageFormat.Png, 100, 100);

        Assert.Equal(ImageProcessingReasons.TooManyPixels, Assert.Throws<ImageProcessingException>(() => processor.Inspect(tooBig)).Reason);
        Assert.Equal(ImageProcessingReasons.TooManyPixels, Assert.Throws<ImageProcessingException>(() => processor.Render(tooBig, 50, 50)).Reason);
        Assert.Equal(50, processor.Render(atLimit, 50, 50).Width);
    }

    [Fact]
    public void A_decompression_bomb_is_refused_from_its_header_without_decoding()
    {
        // Garbage pixel data behind a valid 50000x50000 header: decoding first would report it corrupt.
        var bomb = TestImages.PngHeaderOnly(50_000, 50_000);

        Assert.Equal(ImageProcessingReasons.TooManyPixels, Assert.Throws<ImageProcessingException>(() => _processor.Inspect(bomb)).Reason);
        Assert.Equal(ImageProcessingReasons.TooManyPixels, Assert.Throws<ImageProcessingException>(() => _processor.Render(bomb, 64, 64)).Reason);
        Assert.Equal(ImageProcessingReasons.Corrupt, Assert.Throws<ImageProcessingException>(() => _processor.Render(TestImages.PngHeaderOnly(50, 50), 64, 64)).Reason);
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(10, -1)]
    [InlineData(10_000, 5_000)]
    public void Output_sizes_below_one_or_over_the_pixel_limit_are_refused(int width, int height)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _processor.Render(TestImages.Noise(ImageFormat.Png, 20, 20), width, height));
    }
}
