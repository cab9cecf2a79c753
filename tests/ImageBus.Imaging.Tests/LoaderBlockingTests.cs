using ImageBus.Imaging.Native;

namespace ImageBus.Imaging.Tests;

public sealed class LoaderBlockingTests
{
    [Theory]
    [InlineData("gif")]
    [InlineData("tiff")]
    public void Loaders_other_than_png_jpeg_and_webp_are_blocked(string codec)
    {
        var encoded = SaveWith($"{codec}save_buffer");

        using var load = new VipsOperation($"{codec}load_buffer");
        load.SetBuffer("buffer", encoded);

        var error = Assert.Throws<VipsException>(load.Build);
        Assert.Contains("blocked", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void The_allowed_png_loader_still_loads()
    {
        using var image = VipsImage.Load(ImageFormat.Png, SaveWith("pngsave_buffer"));

        Assert.Equal((8, 8), (image.Width, image.Height));
    }

    private static byte[] SaveWith(string saver)
    {
        using var image = VipsImage.FromPixels(TestImages.SolidPixels(8, 8, 10, 20, 30), 8, 8, 3);
        using var save = new VipsOperation(saver);
        save.SetImage("in", image);
        save.Build();
        return save.GetBuffer("buffer");
    }
}
