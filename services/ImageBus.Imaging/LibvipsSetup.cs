using NetVips;
using VipsRuntime = NetVips.NetVips;

namespace ImageBus.Imaging;

/// <summary>Process-wide libvips settings, applied once before the first image is touched. NetVips starts
/// libvips itself (libvips 8.18 from NetVips.Native, so the machine needs no libvips package) when its assembly
/// loads; this only checks that it did and narrows what it may do.</summary>
internal static class LibvipsSetup
{
    /// <summary>The only loaders left callable. libvips 8.18 also brings GIF, TIFF, HEIF/AVIF, SVG and other
    /// loaders, plus file and source variants of every loader: attack surface ImageBus does not need.</summary>
    public static readonly IReadOnlyList<string> AllowedLoaders =
        ["VipsForeignLoadPngBuffer", "VipsForeignLoadJpegBuffer", "VipsForeignLoadWebpBuffer"];

    private static readonly Lazy<bool> Applied = new(Apply);

    public static void EnsureApplied() => _ = Applied.Value;

    private static bool Apply()
    {
        if (!ModuleInitializer.VipsInitialized)
        {
            throw new InvalidOperationException("libvips (NetVips.Native) could not be started.", ModuleInitializer.Exception);
        }

        // Every call decodes a one-off untrusted input: caching operations would only hold memory.
        Cache.Max = 0;
        VipsRuntime.BlockUntrusted = true;
        Operation.Block("VipsForeignLoad", true);
        foreach (var loader in AllowedLoaders)
        {
            Operation.Block(loader, false);
        }

        // libvips writes a warning per damaged input straight to stderr; the exception already says what failed.
        Log.SetLogHandler("VIPS", Enums.LogLevelFlags.Warning, static (_, _, _) => { });
        return true;
    }
}
