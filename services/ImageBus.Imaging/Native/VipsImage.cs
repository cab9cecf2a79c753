using System.Runtime.InteropServices;

namespace ImageBus.Imaging.Native;

/// <summary>An owned reference to a <c>VipsImage</c>, plus the few operations ImageBus runs on images.
/// Images are lazy pipelines until rendered; a SafeHandle guarantees the reference is dropped exactly once.</summary>
internal sealed class VipsImage : SafeHandle
{
    public VipsImage(nint image)
        : base(0, ownsHandle: true)
    {
        SetHandle(image);
    }

    public override bool IsInvalid => handle == 0;

    public int Width => NativeMethods.vips_image_get_width(this);

    public int Height => NativeMethods.vips_image_get_height(this);

    public int Bands => NativeMethods.vips_image_get_bands(this);

    /// <summary>Opens <paramref name="data"/> with the loader for <paramref name="format"/>; only the header is
    /// read until pixels are needed.</summary>
    public static VipsImage Load(ImageFormat format, ReadOnlySpan<byte> data)
    {
        using var operation = new VipsOperation($"{CodecName(format)}load_buffer");
        operation.SetBuffer("buffer", data);
        operation.Build();
        return operation.GetImage("out");
    }

    /// <summary>Cover-resizes encoded <paramref name="data"/> to exactly <paramref name="width"/> x
    /// <paramref name="height"/> (centre crop), using shrink-on-load where the format has it. Truncated input
    /// must fail: the loader only honours <c>fail_on</c> when it is also in its own option string.</summary>
    public static VipsImage CoverResize(ReadOnlySpan<byte> data, int width, int height)
    {
        using var operation = new VipsOperation("thumbnail_buffer");
        operation.SetBuffer("buffer", data);
        operation.SetString("option_string", "fail_on=truncated");
        operation.SetOptions($"width={width},height={height},crop=centre,size=both,fail_on=truncated");
        operation.Build();
        return operation.GetImage("out");
    }

    /// <summary>Wraps raw 8-bit interleaved pixels (copied) as an image.</summary>
    public static unsafe VipsImage FromPixels(ReadOnlySpan<byte> pixels, int width, int height, int bands)
    {
        if (pixels.Length != checked(width * height * bands))
        {
            throw new ArgumentException($"Expected {width * height * bands} bytes for {width}x{height}x{bands}.", nameof(pixels));
        }

        VipsRuntime.EnsureInitialized();
        nint image;
        fixed (byte* bytes = pixels)
        {
            image = NativeMethods.vips_image_new_from_memory_copy(
                bytes, (nuint)pixels.Length, width, height, bands, NativeMethods.VipsFormatUchar);
        }

        return image == 0 ? throw VipsException.FromErrorBuffer("new_from_memory_copy") : new VipsImage(image);
    }

    /// <summary>Runs the whole pipeline now into memory, so decode errors surface here and several savers
    /// can read the result without decoding twice.</summary>
    public VipsImage Render()
    {
        var rendered = NativeMethods.vips_image_copy_memory(this);
        return rendered == 0 ? throw VipsException.FromErrorBuffer("copy_memory") : new VipsImage(rendered);
    }

    /// <summary>Renders the image and returns its pixels, band-interleaved, row by row.</summary>
    public unsafe byte[] ToPixels()
    {
        nuint size;
        var pixels = NativeMethods.vips_image_write_to_memory(this, &size);
        if (pixels == null)
        {
            throw VipsException.FromErrorBuffer("write_to_memory");
        }

        try
        {
            return new ReadOnlySpan<byte>(pixels, checked((int)size)).ToArray();
        }
        finally
        {
            NativeMethods.g_free(pixels);
        }
    }

    /// <summary>Encodes with the saver for <paramref name="format"/>; <paramref name="options"/> is an
    /// option string such as <c>"Q=85,strip"</c>.</summary>
    public byte[] Save(ImageFormat format, string options)
    {
        using var operation = new VipsOperation($"{CodecName(format)}save_buffer");
        operation.SetImage("in", this);
        operation.SetOptions(options);
        operation.Build();
        return operation.GetBuffer("buffer");
    }

    protected override bool ReleaseHandle()
    {
        NativeMethods.g_object_unref(handle);
        return true;
    }

    private static string CodecName(ImageFormat format) => format switch
    {
        ImageFormat.Png => "png",
        ImageFormat.Jpeg => "jpeg",
        ImageFormat.Webp => "webp",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown image format."),
    };
}
