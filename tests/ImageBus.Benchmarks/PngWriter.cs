using System.Buffers.Binary;
using System.IO.Compression;

namespace ImageBus.Benchmarks;

/// <summary>A minimal PNG encoder (8-bit RGB, Paeth filter, zlib): the inputs are the same bytes as in the
/// comparison recorded in BENCH-IMAGING.md, and the library under test does not make its own inputs.</summary>
internal static class PngWriter
{
    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>Encodes <paramref name="height"/> rows, each asked of <paramref name="fillRow"/> as
    /// <c>width * 3</c> RGB bytes; rows are streamed, so a huge image never sits in memory.</summary>
    public static byte[] Write(int width, int height, Action<int, Span<byte>> fillRow, CompressionLevel level = CompressionLevel.Optimal)
    {
        var rowBytes = width * 3;
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, level, leaveOpen: true))
        {
            var previous = new byte[rowBytes];
            var current = new byte[rowBytes];
            var filtered = new byte[rowBytes + 1];
            for (var y = 0; y < height; y++)
            {
                fillRow(y, current);
                filtered[0] = 4;
                for (var i = 0; i < rowBytes; i++)
                {
                    var left = i >= 3 ? current[i - 3] : 0;
                    var upLeft = i >= 3 ? previous[i - 3] : 0;
                    filtered[i + 1] = (byte)(current[i] - Paeth(left, previous[i], upLeft));
                }

                zlib.Write(filtered);
                (previous, current) = (current, previous);
            }
        }

        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = 2;
        WriteChunk(png, "IHDR"u8, header);
        WriteChunk(png, "IDAT"u8, compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        WriteChunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    private static int Paeth(int left, int up, int upLeft)
    {
        var estimate = left + up - upLeft;
        var toLeft = Math.Abs(estimate - left);
        var toUp = Math.Abs(estimate - up);
        var toUpLeft = Math.Abs(estimate - upLeft);
        return toLeft <= toUp && toLeft <= toUpLeft ? left : toUp <= toUpLeft ? up : upLeft;
    }

    private static void WriteChunk(Stream png, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        png.Write(type);
        png.Write(data);
        var crc = Crc(Crc(0xFFFFFFFF, type), data) ^ 0xFFFFFFFF;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        png.Write(word);
    }

    private static uint Crc(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
