using System.Diagnostics;

namespace ImageBus.Benchmarks;

internal static class Timing
{
    /// <summary>Runs <paramref name="work"/> <paramref name="count"/> times on <paramref name="threads"/> threads; returns calls per second.</summary>
    public static double PerSecond(int count, int threads, Action<int> work)
    {
        var stopwatch = Stopwatch.StartNew();
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, work);
        return count / stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>Runs <paramref name="work"/> <paramref name="count"/> times on this thread; returns the median call in ms.</summary>
    public static double MedianMilliseconds(int count, Action<int> work)
    {
        var times = new double[count];
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            work(i);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(times);
        return count % 2 == 1 ? times[count / 2] : (times[(count / 2) - 1] + times[count / 2]) / 2;
    }
}

internal static class Memory
{
    /// <summary>Resident set size of this process now, from /proc/self/status.</summary>
    public static double RssMiB() => ReadMiB("VmRSS:");

    /// <summary>The largest resident set size this process has had.</summary>
    public static double PeakRssMiB() => ReadMiB("VmHWM:");

    private static double ReadMiB(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line[field.Length..].Trim().Split(' ')[0]) / 1024.0;
    }
}
