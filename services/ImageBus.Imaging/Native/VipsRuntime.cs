namespace ImageBus.Imaging.Native;

/// <summary>Process-wide libvips set-up. <c>vips_init</c> must run once, before any thread uses libvips.
/// Note: libvips prints warnings (e.g. "premature end of JPEG file") unless <c>VIPS_WARNING=0</c> is in
/// the real process environment when the library loads; setting it from managed code is too late, so the
/// service start scripts set it.</summary>
internal static class VipsRuntime
{
    /// <summary>The only loaders left callable: everything else libvips42 brings (PDF, SVG, ImageMagick,
    /// TIFF, file and source loaders) is attack surface ImageBus does not need.</summary>
    private static readonly string[] AllowedLoaders =
        ["VipsForeignLoadPngBuffer", "VipsForeignLoadJpegBuffer", "VipsForeignLoadWebpBuffer"];

    private static readonly Lock InitLock = new();
    private static volatile bool s_initialized;

    public static void EnsureInitialized()
    {
        if (s_initialized)
        {
            return;
        }

        lock (InitLock)
        {
            if (s_initialized)
            {
                return;
            }

            if (NativeMethods.vips_init("imagebus") != 0)
            {
                throw VipsException.FromErrorBuffer("vips_init");
            }

            // Every call here decodes untrusted, one-off inputs: caching operations only holds memory.
            NativeMethods.vips_cache_set_max(0);
            NativeMethods.vips_block_untrusted_set(1);
            NativeMethods.vips_operation_block_set("VipsForeignLoad", 1);
            foreach (var loader in AllowedLoaders)
            {
                NativeMethods.vips_operation_block_set(loader, 0);
            }

            s_initialized = true;
        }
    }
}
