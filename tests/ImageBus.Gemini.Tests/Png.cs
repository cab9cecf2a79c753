using System.Buffers.Binary;
using System.IO.Compression;

namespace ImageBus.Gemini.Tests;

/// <summary>Just enough PNG reading to check what the fake sends: signature, IHDR size, chunk CRCs, pixel data length.</summary>
internal static class Png
{
    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public static bool HasSignature(byte[] bytes) => bytes.AsSpan().StartsWith(Signature);

    public static (int Width, int Height) Size(byte[] bytes)
    {
        Assert.True(HasSignature(bytes), "PNG signature missing");
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    /// <summary>Walks every chunk checking its CRC, inflates IDAT and returns the raw scanline bytes.</summary>
    public static byte[] Inflate(byte[] bytes)
    {
        var offset = Signature.Length;
        using var idat = new MemoryStream();
        while (true)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset));
            var typeAndData = bytes.AsSpan(offset + 4, 4 + length);
            var crc = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset + 8 + length));
            Assert.Equal(crc, Crc32(typeAndData));
            var type = System.Text.Encoding.ASCII.GetString(typeAndData[..4]);
            if (type == "IDAT")
            {
                idat.Write(typeAndData[4..]);
            }

            offset += 12 + length;
            if (type == "IEND")
            {
                break;
            }
        }

        idat.Position = 0;
        using var zlib = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        zlib.CopyTo(raw);
        return raw.ToArray();
    }

    // Bit by bit, independent of the fake's table-driven CRC it checks.
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
            }
        }

        return ~crc;
    }
}
