using System.Diagnostics;
using ImageBus.Imaging;
using ImageBus.Imaging.Native;

namespace ImageBus.Benchmarks;

internal static class Throughput
{
    /// <summary>Runs <paramref name="work"/> <paramref name="count"/> times on <paramref name="threads"/> threads; returns calls per second.</summary>
    public static double Measure(int count, int threads, Action<int> work)
    {
        var stopwatch = Stopwatch.StartNew();
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, work);
        return count / stopwatch.Elapsed.TotalSeconds;
    }
}

internal static class Rss
{
    /// <summary>Resident set size of this process, from the VmRSS line of /proc/self/status.</summary>
    public static long ReadKiB()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]);
    }
}

internal static class InputImages
{
    private const int Size = 1024;

    /// <summary>A photo-like input: smooth colour gradients with mild noise, so PNG compresses realistically.</summary>
    public static string Write(string directory, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[Size * Size * 3];
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size; x++)
            {
                var i = ((y * Size) + x) * 3;
                pixels[i] = (byte)Math.Clamp(((x + (seed * 40)) % Size / 4) + random.Next(-6, 7), 0, 255);
                pixels[i + 1] = (byte)Math.Clamp((y / 4) + random.Next(-6, 7), 0, 255);
                pixels[i + 2] = (byte)Math.Clamp(((x + y) / 8) + random.Next(-6, 7), 0, 255);
            }
        }

        using var image = VipsImage.FromPixels(pixels, Size, Size, 3);
        var path = Path.Combine(directory, $"input-{seed}.png");
        File.WriteAllBytes(path, image.Save(ImageFormat.Png, "compression=6"));
        return path;
    }
}
