// Compares image libraries on the service's work, each in a process of its own (for honest memory figures):
//   dotnet run -c Release --project tests/ImageBus.Benchmarks [-- --libraries own,netvips,... --iterations 2000]
//   dotnet run -c Release --project tests/ImageBus.Benchmarks -- --library netvips     (one library, this process)
using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using ImageBus.Benchmarks;

const int InputCount = 8;
const int WarmUpImages = 20;
const int OneThreadImages = 40;
const int TwoThreadImages = 80;
const int BadEvery = 5;

var libraries = new Dictionary<string, Func<IBenchLibrary>>
{
    ["own"] = () => new OwnBindingLibrary(),
    ["netvips"] = () => new NetVipsLibrary(oneDecode: true),
    ["netvips-2decodes"] = () => new NetVipsLibrary(oneDecode: false),
    ["imagesharp"] = () => new ImageSharpLibrary(),
    ["skiasharp"] = () => new SkiaSharpLibrary(),
};

var iterations = int.Parse(Option("--iterations") ?? "2000");
var only = Option("--library");
return only is null ? RunEach((Option("--libraries") ?? string.Join(',', libraries.Keys)).Split(',')) : RunOne(only);

int RunOne(string key)
{
    Console.WriteLine($"Generating {InputCount} photographic {InputImages.Size}x{InputImages.Size} PNG inputs and the bad inputs");
    var inputs = Enumerable.Range(0, InputCount).Select(InputImages.Photographic).ToArray();
    var whole = inputs[0];
    var bad = new (string Kind, byte[] Data)[]
    {
        ("truncated", whole[..(whole.Length / 2)]),
        ("png signature + garbage", InputImages.PngSignatureThenGarbage()),
        ("64 MP png", InputImages.Oversize()),
        ("garbage", InputImages.Garbage()),
    };
    Console.WriteLine($"  input sizes {inputs.Min(i => i.Length) / 1024} to {inputs.Max(i => i.Length) / 1024} KiB"
        + $" ({inputs.Average(i => i.Length) * 100 / (InputImages.Size * InputImages.Size * 3):F0}% of raw RGB); 64 MP bomb {bad[2].Data.Length / 1024} KiB");
    GC.Collect();
    var rssBefore = Memory.RssMiB();

    var library = libraries[key]();
    var output = library.Process(inputs[0]);
    Console.WriteLine($"{key}: {library.Title}; libvips mapped: {Memory.LoadedLibvips() ?? "none"}");
    Console.WriteLine($"  outputs: JPEG {output.JpegBytes / 1024} KiB, WebP {output.WebpBytes / 1024} KiB, thumbnail {output.ThumbnailBytes / 1024} KiB");

    // Warm up on two threads, as the memory loop runs: each thread gets its own malloc arena and buffers.
    Timing.PerSecond(WarmUpImages, 2, i => library.Process(inputs[i % InputCount]));
    var rssWarm = Memory.RssMiB();

    var oneThreadMs = Timing.MedianMilliseconds(OneThreadImages, i => library.Process(inputs[i % InputCount]));
    Console.WriteLine($"  one thread: {oneThreadMs:F1} ms per image (median of {OneThreadImages})");
    var twoThreads = Timing.PerSecond(TwoThreadImages, 2, i => library.Process(inputs[i % InputCount]));
    Console.WriteLine($"  two threads: {twoThreads:F1} images/s ({TwoThreadImages} images)");

    Console.WriteLine($"  memory over {iterations} calls on two threads, every {BadEvery}th input bad:");
    var refused = bad.ToDictionary(b => b.Kind, _ => 0);
    var accepted = bad.ToDictionary(b => b.Kind, _ => 0);
    var stopwatch = Stopwatch.StartNew();
    const int Checkpoints = 4;
    for (var checkpoint = 1; checkpoint <= Checkpoints; checkpoint++)
    {
        var end = iterations * checkpoint / Checkpoints;
        Parallel.For(iterations * (checkpoint - 1) / Checkpoints, end, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            if (i % BadEvery != BadEvery - 1)
            {
                library.Process(inputs[i % InputCount]);
                return;
            }

            var (kind, data) = bad[i / BadEvery % bad.Length];
            try
            {
                library.Process(data);
                lock (accepted)
                {
                    accepted[kind]++;
                }
            }
            catch (Exception)
            {
                lock (refused)
                {
                    refused[kind]++;
                }
            }
        });
        Console.WriteLine($"    VmRSS after {end,5} calls: {Memory.RssMiB(),7:F1} MiB");
    }

    var result = new BenchResult(
        key, library.Title, oneThreadMs, twoThreads, rssBefore, rssWarm, Memory.RssMiB(), Memory.PeakRssMiB(), iterations,
        stopwatch.Elapsed.TotalSeconds, refused, accepted, output);
    Console.WriteLine($"  refused {string.Join(", ", refused.Select(r => $"{r.Key} {r.Value}"))}; accepted {accepted.Values.Sum()} bad inputs");
    Console.WriteLine($"RESULT {JsonSerializer.Serialize(result)}");
    return 0;
}

int RunEach(string[] keys)
{
    var results = new List<BenchResult>();
    foreach (var key in keys)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        foreach (var argument in new[] { "--library", key, "--iterations", iterations.ToString() })
        {
            start.ArgumentList.Add(argument);
        }

        // The own binding's libvips prints a warning per truncated input unless this is in its environment.
        start.Environment["VIPS_WARNING"] = "0";
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"{key} did not start");
        while (child.StandardOutput.ReadLine() is { } line)
        {
            if (line.StartsWith("RESULT ", StringComparison.Ordinal))
            {
                results.Add(JsonSerializer.Deserialize<BenchResult>(line["RESULT ".Length..])!);
            }
            else
            {
                Console.WriteLine(line);
            }
        }

        child.WaitForExit();
        if (child.ExitCode != 0)
        {
            Console.WriteLine($"{key}: exited with {child.ExitCode}, no figures");
        }
    }

    Console.WriteLine();
    Console.WriteLine("| library | ms/image, 1 thread | images/s, 2 threads | RSS after warm-up | RSS after " + iterations + " calls | peak RSS | bad inputs refused | output JPEG / WebP / thumb |");
    Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |");
    foreach (var r in results)
    {
        var refused = r.Refused.Values.Sum();
        var badCount = refused + r.Accepted.Values.Sum();
        var accepted = string.Join(", ", r.Accepted.Where(a => a.Value > 0).Select(a => $"{a.Key} accepted"));
        Console.WriteLine($"| {r.Title} | {r.OneThreadMs:F1} | {r.TwoThreadsPerSecond:F1} | {r.RssWarmMiB:F0} MiB | {r.RssAfterMiB:F0} MiB | {r.PeakRssMiB:F0} MiB"
            + $" | {refused}/{badCount}{(accepted.Length > 0 ? $" ({accepted})" : string.Empty)}"
            + $" | {r.Output.JpegBytes / 1024} / {r.Output.WebpBytes / 1024} / {r.Output.ThumbnailBytes / 1024} KiB |");
    }

    return results.Count == keys.Length ? 0 : 1;
}

string? Option(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

internal sealed record BenchResult(
    string Key,
    string Title,
    double OneThreadMs,
    double TwoThreadsPerSecond,
    double RssBeforeMiB,
    double RssWarmMiB,
    double RssAfterMiB,
    double PeakRssMiB,
    int Calls,
    double CallSeconds,
    Dictionary<string, int> Refused,
    Dictionary<string, int> Accepted,
    BenchOutput Output);
