using System.Buffers.Binary;
using NetVips;

namespace ImageBus.Imaging.Tests;

/// <summary>Real encoded inputs, made from known pixels by libvips's own encoders.</summary>
internal static class TestImages
{
    static TestImages()
    {
        // Loads below must run under the service's loader restrictions.
        LibvipsSetup.EnsureApplied();
    }

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

    public static Image FromPixels(byte[] pixels, int width, int height, int bands) =>
        Image.NewFromMemoryCopy<byte>(pixels, width, height, bands, Enums.BandFormat.Uchar);

    public static byte[] Encode(ImageFormat format, byte[] pixels, int width, int height, int bands)
    {
        using var image = FromPixels(pixels, width, height, bands);
        return format switch
        {
            ImageFormat.Png => image.PngsaveBuffer(compression: 1),
            ImageFormat.Jpeg => image.JpegsaveBuffer(q: 90),
            _ => image.WebpsaveBuffer(q: 90),
        };
    }

    public static byte[] Noise(ImageFormat format, int width, int height) =>
        Encode(format, NoisePixels(width, height, 3), width, height, 3);

    public static DecodedImage Decode(ImageFormat format, byte[] encoded)
    {
        using var image = format switch
        {
            ImageFormat.Png => Image.PngloadBuffer(encoded),
            ImageFormat.Jpeg => Image.JpegloadBuffer(encoded),
            _ => Image.WebploadBuffer(encoded),
        };
        return new DecodedImage(image.WriteToMemory<byte>(), image.Width, image.Height, image.Bands);
    }

    /// <summary>A PNG whose valid header declares <paramref name="width"/> x <paramref name="height"/> but whose
    /// pixel data is garbage: refused as too large only if the header is checked before anything is decoded.</summary>
    public static byte[] PngHeaderOnly(int width, int height)
    {
        byte[] signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = 2;
        var garbage = new byte[1024];
        new Random(1).NextBytes(garbage);
        return [.. signature, .. Chunk("IHDR"u8, header), .. Chunk("IDAT"u8, garbage), .. Chunk("IEND"u8, [])];
    }

    private static byte[] Chunk(ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        type.CopyTo(chunk.AsSpan(4));
        data.CopyTo(chunk.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }

    /// <summary>PNG's CRC-32, bit by bit: a few header bytes do not need a table.</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
            }
        }

        return crc ^ 0xFFFFFFFF;
    }
}

internal sealed record DecodedImage(byte[] Pixels, int Width, int Height, int Bands)
{
    public ReadOnlySpan<byte> PixelAt(int x, int y) => Pixels.AsSpan(((y * Width) + x) * Bands, Bands);
}
