using System.Reflection;
using System.Runtime.InteropServices;
using ImageBus.Imaging;
using Microsoft.Extensions.Options;

namespace ImageBus.Benchmarks;

/// <summary>The project's own P/Invoke binding on Debian's libvips 8.14 (VipsImageProcessor as it ships).</summary>
internal sealed class OwnBindingLibrary : IBenchLibrary
{
    private const string SystemLibvips = "/usr/lib/x86_64-linux-gnu/libvips.so.42";

    private readonly VipsImageProcessor _processor;

    public OwnBindingLibrary()
    {
        // NetVips.Native puts its own libvips.so.42 (8.18, GLib inside) beside this program, and plain probing
        // would hand it to the binding, which pairs it with the system GObject: load Debian's copy instead.
        NativeLibrary.SetDllImportResolver(typeof(VipsImageProcessor).Assembly, Resolve);
        _processor = new VipsImageProcessor(Options.Create(new ImagingOptions
        {
            JpegQuality = IBenchLibrary.Quality,
            WebpQuality = IBenchLibrary.Quality,
            ThumbnailSize = IBenchLibrary.ThumbnailSize,
            MaxInputPixels = IBenchLibrary.MaxInputPixels,
        }));
    }

    public string Title => "own binding, Debian libvips 8.14.1";

    public BenchOutput Process(byte[] input)
    {
        var processed = _processor.Process(input, IBenchLibrary.Width, IBenchLibrary.Height);
        return new BenchOutput(processed.Jpeg.Bytes.Length, processed.Webp.Bytes.Length, processed.Thumbnail.Bytes.Length);
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == "libvips.so.42" ? NativeLibrary.Load(SystemLibvips) : 0;
}
