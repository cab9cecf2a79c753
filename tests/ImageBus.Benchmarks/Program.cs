// Speed and memory of IImageProcessor (libvips 8.18 through NetVips) on the service's work, on photographic
// 1024x1024 PNGs with bad inputs mixed in. BENCH-IMAGING.md compares it with the libraries it was chosen over.
//   dotnet run -c Release --project tests/ImageBus.Benchmarks [-- --iterations 2000]
using System.Diagnostics;
using ImageBus.Benchmarks;
using ImageBus.Imaging;
using Microsoft.Extensions.Options;

const int InputCount = 8;
const int WarmUpImages = 20;
const int OneThreadImages = 40;
const int TwoThreadImages = 80;
const int BadEvery = 5;
const int Size = 512;

var index = Array.IndexOf(args, "--iterations");
var iterations = index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1]) : 2000;

Console.WriteLine($"Generating {InputCount} photographic {InputImages.Size}x{InputImages.Size} PNG inputs and the bad inputs");
var inputs = Enumerable.Range(0, InputCount).Select(InputImages.Photographic).ToArray();
var bad = new (string Kind, byte[] Data)[]
{
    ("truncated", inputs[0][..(inputs[0].Length / 2)]),
    ("png signature + garbage", InputImages.PngSignatureThenGarbage()),
    ("64 MP png", InputImages.Oversize()),
    ("garbage", InputImages.Garbage()),
};
Console.WriteLine($"  input sizes {inputs.Min(i => i.Length) / 1024} to {inputs.Max(i => i.Length) / 1024} KiB"
    + $" ({inputs.Average(i => i.Length) * 100 / (InputImages.Size * InputImages.Size * 3):F0}% of raw RGB)");
GC.Collect();
Console.WriteLine($"  VmRSS before libvips:  {Memory.RssMiB(),7:F1} MiB");

var processor = new VipsImageProcessor(Options.Create(new ImagingOptions { JpegQuality = 80, WebpQuality = 80, ThumbnailSize = 256 }));
var output = AllRenditions(inputs[0]);
Console.WriteLine($"IImageProcessor.Render to {Size}x{Size} JPEG q80, then ToWebp (q80) and ToThumbnail (256x256 JPEG) of it;"
    + $" outputs {output.Jpeg.Bytes.Length / 1024} / {output.Webp.Bytes.Length / 1024} / {output.Thumbnail.Bytes.Length / 1024} KiB");

// Warm up on two threads, as the memory loop runs: each thread gets its own malloc arena and buffers.
Timing.PerSecond(WarmUpImages, 2, i => AllRenditions(inputs[i % InputCount]));
Console.WriteLine($"  VmRSS after warm-up:   {Memory.RssMiB(),7:F1} MiB");
var oneThread = Timing.MedianMilliseconds(OneThreadImages, i => AllRenditions(inputs[i % InputCount]));
Console.WriteLine($"  one thread:  {oneThread,6:F1} ms per image (median of {OneThreadImages})");
var twoThreads = Timing.PerSecond(TwoThreadImages, 2, i => AllRenditions(inputs[i % InputCount]));
Console.WriteLine($"  two threads: {twoThreads,6:F1} images/s ({TwoThreadImages} images)");

Console.WriteLine($"Memory over {iterations} calls on two threads, every {BadEvery}th input bad:");
var refused = 0;
var stopwatch = Stopwatch.StartNew();
const int Checkpoints = 4;
for (var checkpoint = 1; checkpoint <= Checkpoints; checkpoint++)
{
    var end = iterations * checkpoint / Checkpoints;
    Parallel.For(iterations * (checkpoint - 1) / Checkpoints, end, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
    {
        if (i % BadEvery != BadEvery - 1)
        {
            AllRenditions(inputs[i % InputCount]);
            return;
        }

        try
        {
            AllRenditions(bad[i / BadEvery % bad.Length].Data);
            throw new InvalidOperationException($"{bad[i / BadEvery % bad.Length].Kind} input was accepted");
        }
        catch (ImageProcessingException)
        {
            Interlocked.Increment(ref refused);
        }
    });
    Console.WriteLine($"  VmRSS after {end,5} calls: {Memory.RssMiB(),7:F1} MiB");
}

Console.WriteLine($"  peak VmRSS:            {Memory.PeakRssMiB(),7:F1} MiB; {refused} of {iterations} refused"
    + $" (expected {iterations / BadEvery}), {stopwatch.Elapsed.TotalSeconds:F1} s");

// What every image costs: the JPEG a job waits for, and the WebP and thumbnail made from it when first asked for.
(EncodedImage Jpeg, EncodedImage Webp, EncodedImage Thumbnail) AllRenditions(byte[] input)
{
    var jpeg = processor.Render(input, Size, Size);
    return (jpeg, processor.ToWebp(jpeg.Bytes), processor.ToThumbnail(jpeg.Bytes));
}
