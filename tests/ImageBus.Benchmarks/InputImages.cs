using System.IO.Compression;

namespace ImageBus.Benchmarks;

/// <summary>The benchmark's inputs, made by code so every run and every library sees the same bytes.</summary>
internal static class InputImages
{
    public const int Size = 1024;

    /// <summary>A photo-like 1024x1024 PNG: soft light and colour fields, blurred "objects", mid-scale texture
    /// and sensor-like grain. Flat or striped images compress to almost nothing and decode unrealistically fast;
    /// this one compresses to roughly 60% of its raw size, as photographs do.</summary>
    public static byte[] Photographic(int seed)
    {
        var random = new Random(seed);
        var waves = Enumerable.Range(0, 3 * 4).Select(_ => Wave.Random(random)).ToArray();
        var blobs = Enumerable.Range(0, 7).Select(_ => Blob.Random(random)).ToArray();
        var coarse = new ValueNoise(random, 32);
        var fine = new ValueNoise(random, 6);
        var grain = new Random(seed + 1000);

        return PngWriter.Write(Size, Size, (y, row) =>
        {
            for (var x = 0; x < Size; x++)
            {
                var texture = (coarse.At(x, y) * 26) + (fine.At(x, y) * 12);
                var light = 0.0;
                foreach (var blob in blobs)
                {
                    light += blob.At(x, y);
                }

                for (var c = 0; c < 3; c++)
                {
                    var value = 110.0 + light + texture + (x * (c - 1) * 0.03) + (y * (1 - c) * 0.02);
                    for (var w = 0; w < 4; w++)
                    {
                        value += waves[(c * 4) + w].At(x, y);
                    }

                    // Triangular grain, about +-9 levels, like a camera at moderate ISO.
                    value += grain.Next(-5, 6) + grain.Next(-4, 5);
                    row[(x * 3) + c] = (byte)Math.Clamp((int)value, 0, 255);
                }
            }
        });
    }

    /// <summary>A real PNG of 64 megapixels (over the 40 MP limit): a decompression bomb of under 2 MB that
    /// must be refused from its header.</summary>
    public static byte[] Oversize() => PngWriter.Write(8000, 8000, (y, row) => row.Fill((byte)(y % 251)), CompressionLevel.Fastest);

    /// <summary>The signature of a PNG followed by random bytes.</summary>
    public static byte[] PngSignatureThenGarbage()
    {
        var data = new byte[64 * 1024];
        new Random(11).NextBytes(data);
        byte[] signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        signature.CopyTo(data, 0);
        return data;
    }

    /// <summary>Random bytes that match no image signature.</summary>
    public static byte[] Garbage()
    {
        var data = new byte[200_000];
        new Random(5).NextBytes(data);
        data[0] = 0;
        return data;
    }

    private sealed record Wave(double Amplitude, double Fx, double Fy, double Phase)
    {
        public static Wave Random(Random random) => new(
            8 + (random.NextDouble() * 22),
            (random.NextDouble() - 0.5) * 4 * Math.Tau / Size,
            (random.NextDouble() - 0.5) * 4 * Math.Tau / Size,
            random.NextDouble() * Math.Tau);

        public double At(int x, int y) => Amplitude * Math.Sin((Fx * x) + (Fy * y) + Phase);
    }

    private sealed record Blob(double X, double Y, double Radius, double Strength)
    {
        public static Blob Random(Random random) => new(
            random.NextDouble() * Size,
            random.NextDouble() * Size,
            40 + (random.NextDouble() * 220),
            (random.NextDouble() - 0.45) * 140);

        public double At(int x, int y)
        {
            var dx = x - X;
            var dy = y - Y;
            return Strength * Math.Exp(-((dx * dx) + (dy * dy)) / (2 * Radius * Radius));
        }
    }

    /// <summary>Random values on a lattice, interpolated smoothly in between: texture at one scale.</summary>
    private sealed class ValueNoise
    {
        private readonly double[,] _lattice;
        private readonly int _cell;

        public ValueNoise(Random random, int cell)
        {
            _cell = cell;
            var points = (Size / cell) + 2;
            _lattice = new double[points, points];
            for (var i = 0; i < points; i++)
            {
                for (var j = 0; j < points; j++)
                {
                    _lattice[i, j] = (random.NextDouble() * 2) - 1;
                }
            }
        }

        public double At(int x, int y)
        {
            var (i, fx) = (x / _cell, Smooth((x % _cell) / (double)_cell));
            var (j, fy) = (y / _cell, Smooth((y % _cell) / (double)_cell));
            var top = Lerp(_lattice[i, j], _lattice[i + 1, j], fx);
            var bottom = Lerp(_lattice[i, j + 1], _lattice[i + 1, j + 1], fx);
            return Lerp(top, bottom, fy);
        }

        private static double Smooth(double t) => t * t * (3 - (2 * t));

        private static double Lerp(double a, double b, double t) => a + ((b - a) * t);
    }
}
