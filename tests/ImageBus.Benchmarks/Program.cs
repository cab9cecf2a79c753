// Usage: dotnet run -c Release --project tests/ImageBus.Benchmarks [-- --iterations 2000]
// Run with VIPS_WARNING=0 in the environment, as the services do, or libvips prints a warning per truncated input.
using System.Diagnostics;
using ImageBus.Benchmarks;
using ImageBus.Imaging;
using ImageBus.Imaging.Native;
using Microsoft.Extensions.Options;

const int InputCount = 8;
const int InProcessImages = 40;
const int CommandImages = 16;
const int WarmUpImages = 20;

var iterations = ParseIterations(args);
var rssAtStart = Rss.ReadKiB();

var workDirectory = Directory.CreateTempSubdirectory("imagebus-bench-");
try
{
    Console.WriteLine($"Writing {InputCount} 1024x1024 PNG inputs to {workDirectory.FullName}");
    var inputPaths = Enumerable.Range(0, InputCount).Select(i => InputImages.Write(workDirectory.FullName, i)).ToArray();
    var inputs = inputPaths.Select(File.ReadAllBytes).ToArray();
    var processor = new VipsImageProcessor(Options.Create(new ImagingOptions { JpegQuality = 80 }));

    // Warm up on two threads, as the memory loop runs: each thread gets its own malloc arena and libvips buffers.
    Throughput.Measure(WarmUpImages, 2, i => processor.Process(inputs[i % InputCount], 512, 512));

    var rssAfterWarmUp = Rss.ReadKiB();

    Console.WriteLine();
    Console.WriteLine("Throughput, 1024x1024 PNG in (images/s):");
    var jpegAndThumbnail = new Dictionary<int, double>();
    foreach (var threads in new[] { 1, 2 })
    {
        jpegAndThumbnail[threads] = Throughput.Measure(InProcessImages, threads, i => JpegAndThumbnail(inputs[i % InputCount]));
        Console.WriteLine($"  in process, 512x512 JPEG q80 + 256x256 thumbnail, {threads} thread(s): {jpegAndThumbnail[threads],7:F1}");
    }

    foreach (var threads in new[] { 1, 2 })
    {
        var rate = Throughput.Measure(InProcessImages, threads, i => processor.Process(inputs[i % InputCount], 512, 512));
        Console.WriteLine($"  in process, IImageProcessor.Process (JPEG + WebP + thumbnail), {threads} thread(s): {rate,7:F1}");
    }

    foreach (var threads in new[] { 1, 2 })
    {
        var rate = Throughput.Measure(CommandImages, threads, i => RunVipsThumbnail(inputPaths[i % InputCount], workDirectory.FullName, i));
        Console.WriteLine($"  vipsthumbnail process per image (512x512 JPEG q80 only), {threads} at a time: {rate,7:F1}"
            + $"  -> in process is {jpegAndThumbnail[threads] / rate:F1}x faster");
    }

    Console.WriteLine();
    Console.WriteLine($"Memory over {iterations} Process calls on 2 threads, every 5th input bad (garbage or truncated):");
    var garbage = new byte[200_000];
    new Random(5).NextBytes(garbage);
    var truncated = inputs[0][..(inputs[0].Length / 2)];
    Console.WriteLine($"  VmRSS at start:        {rssAtStart / 1024.0,7:F1} MiB");
    Console.WriteLine($"  VmRSS after warm-up:   {rssAfterWarmUp / 1024.0,7:F1} MiB");
    var rejected = 0;
    var stopwatch = Stopwatch.StartNew();
    const int Checkpoints = 4;
    for (var checkpoint = 1; checkpoint <= Checkpoints; checkpoint++)
    {
        var end = iterations * checkpoint / Checkpoints;
        Parallel.For(iterations * (checkpoint - 1) / Checkpoints, end, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            var input = (i % 5, i % 10) switch
            {
                (4, 4) => garbage,
                (4, _) => truncated,
                _ => inputs[i % InputCount],
            };
            try
            {
                processor.Process(input, 512, 512);
            }
            catch (ImageProcessingException)
            {
                Interlocked.Increment(ref rejected);
            }
        });
        Console.WriteLine($"  VmRSS after {end,5} calls: {Rss.ReadKiB() / 1024.0,7:F1} MiB");
    }

    Console.WriteLine($"  {rejected} of {iterations} rejected (expected {iterations / 5}), {stopwatch.Elapsed.TotalSeconds:F1} s");
}
finally
{
    workDirectory.Delete(recursive: true);
}

// The same work as one vipsthumbnail call plus the thumbnail, without WebP: comparable with the command.
static void JpegAndThumbnail(byte[] png)
{
    foreach (var size in new[] { 512, 256 })
    {
        using var image = VipsImage.CoverResize(png, size, size);
        image.Save(ImageFormat.Jpeg, "Q=80,strip");
    }
}

static void RunVipsThumbnail(string inputPath, string outputDirectory, int index)
{
    var startInfo = new ProcessStartInfo("vipsthumbnail") { RedirectStandardError = true };
    foreach (var argument in new[] { inputPath, "-s", "512x512", "--smartcrop", "centre", "-o", Path.Combine(outputDirectory, $"out-{index}.jpg[Q=80,strip]") })
    {
        startInfo.ArgumentList.Add(argument);
    }

    startInfo.Environment["VIPS_WARNING"] = "0";
    using var command = Process.Start(startInfo) ?? throw new InvalidOperationException("vipsthumbnail did not start.");
    var errors = command.StandardError.ReadToEnd();
    command.WaitForExit();
    if (command.ExitCode != 0)
    {
        throw new InvalidOperationException($"vipsthumbnail exited with {command.ExitCode}: {errors}");
    }
}

static int ParseIterations(string[] args)
{
    var index = Array.IndexOf(args, "--iterations");
    return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], out var value) && value > 0
        ? value
        : 2000;
}
