using ImageBus.Imaging.Native;

namespace ImageBus.Imaging.Tests;

/// <summary>Real encoded inputs, made from known pixels by libvips's own encoders through the binding.</summary>
internal static class TestImages
{
    /// <summary>Deterministic noise: compresses badly, so truncating the file really cuts pixel data.</summary>
    public static byte[] NoisePixels(int width, int height, int bands, int seed = 7)
    {
        var pixels = new byte[width * height * bands];
        new Random(seed).NextBytes(pixels);
        if (bands == 4)
        {
            for (var i = 3; i < pixels.Length; i += 4)
            {
                pixels[i] = 255;
            }
        }

        return pixels;
    }

    /// <summary>Every pixel set to <paramref name="color"/> (one value per band).</summary>
    public static byte[] SolidPixels(int width, int height, params byte[] color)
    {
        var pixels = new byte[width * height * color.Length];
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = color[i % color.Length];
        }

        return pixels;
    }

    public static byte[] Encode(ImageFormat format, byte[] pixels, int width, int height, int bands)
    {
        using var image = VipsImage.FromPixels(pixels, width, height, bands);
        return image.Save(format, format == ImageFormat.Png ? "compression=1" : "Q=90");
    }

    public static byte[] Noise(ImageFormat format, int width, int height) =>
        Encode(format, NoisePixels(width, height, 3), width, height, 3);

    public static DecodedImage Decode(ImageFormat format, byte[] encoded)
    {
        using var image = VipsImage.Load(format, encoded);
        return new DecodedImage(image.ToPixels(), image.Width, image.Height, image.Bands);
    }
}

internal sealed record DecodedImage(byte[] Pixels, int Width, int Height, int Bands)
{
    public ReadOnlySpan<byte> PixelAt(int x, int y) => Pixels.AsSpan(((y * Width) + x) * Bands, Bands);
}
