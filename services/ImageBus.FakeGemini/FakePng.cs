using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;

namespace ImageBus.FakeGemini;

/// <summary>Paints and encodes the fake's images: 8-bit RGB PNGs whose stripes and colours come from a seed, so
/// each prompt gets its own deterministic picture.</summary>
internal static class FakePng
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <param name="seed">A SHA-256 hash of whatever the picture should depend on.</param>
    public static byte[] Paint(int width, int height, ReadOnlySpan<byte> seed)
    {
        var hash = seed[..SHA256.HashSizeInBytes];
        var stripe = 8 + (hash[6] % 56);
        var rising = (hash[7] & 1) == 1;

        using var png = new MemoryStream();
        png.Write(Signature);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8; // bits per channel
        header[9] = 2; // colour type RGB; compression, filter and interlace stay 0
        WriteChunk(png, "IHDR"u8, header);

        using var pixels = new MemoryStream();
        using (var zlib = new ZLibStream(pixels, CompressionLevel.Fastest, leaveOpen: true))
        {
            // Diagonal stripes, darker towards the top. Each row is a window onto one periodic strip shifted a pixel
            // per row, so painting is a copy per row; the strip is repainted only when the shade changes. Rows use
            // PNG's "Sub" filter (byte minus the one 3 to its left): flat stripes turn into zeros, which deflate fast.
            var period = 2 * stripe;
            var strip = new byte[(width + period) * 3];
            var sub = new byte[strip.Length];
            var row = new byte[1 + (width * 3)];
            row[0] = 1; // filter type Sub
            var paintedShade = -1;
            for (var y = 0; y < height; y++)
            {
                var shade = 128 + (y * 128 / height);
                if (shade != paintedShade)
                {
                    for (var i = 0; i < strip.Length; i++)
                    {
                        strip[i] = (byte)(hash[((i / 3 / stripe) & 1) * 3 + (i % 3)] * shade >> 8);
                        sub[i] = (byte)(strip[i] - (i < 3 ? 0 : strip[i - 3]));
                    }

                    paintedShade = shade;
                }

                // A row's first pixel has no left neighbour, so it goes unfiltered.
                var start = (rising ? y % period : (period - (y % period)) % period) * 3;
                strip.AsSpan(start, 3).CopyTo(row.AsSpan(1));
                sub.AsSpan(start + 3, (width - 1) * 3).CopyTo(row.AsSpan(4));
                zlib.Write(row);
            }
        }

        WriteChunk(png, "IDAT"u8, pixels.GetBuffer().AsSpan(0, (int)pixels.Length));
        WriteChunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    /// <summary>The PNG signature followed by bytes no decoder accepts.</summary>
    public static byte[] Corrupt() => [.. Signature, .. "this is not an IHDR chunk, nor anything else"u8];

    private static void WriteChunk(Stream png, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        png.Write(type);
        png.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, ~UpdateCrc(UpdateCrc(0xFFFFFFFFu, type), data));
        png.Write(word);
    }

    // CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320) as PNG defines it, byte at a time off a table.
    private static uint UpdateCrc(uint crc, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
