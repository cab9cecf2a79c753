using System.Runtime.InteropServices;

namespace ImageBus.Imaging.Native;

/// <summary>GLib's generic value container (24 bytes on 64-bit). Always start from <c>default</c>:
/// <c>g_value_init</c> requires a zeroed value.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GValue
{
    public nuint GType;
    public ulong Data0;
    public ulong Data1;
}

/// <summary>The non-variadic libvips / GObject / GLib entry points this binding uses. Variadic
/// functions (<c>vips_thumbnail_buffer(..., NULL)</c> and friends) are deliberately absent: .NET does
/// not set %al for them, and double options came out wrong in trials.</summary>
internal static unsafe partial class NativeMethods
{
    private const string Vips = "libvips.so.42";
    private const string GObjectLibrary = "libgobject-2.0.so.0";
    private const string GLibLibrary = "libglib-2.0.so.0";

    /// <summary>GLib's fundamental type id for strings (G_TYPE_STRING = 16 &lt;&lt; 2).</summary>
    public const nuint GTypeString = 64;

    /// <summary>VIPS_FORMAT_UCHAR: 8 bits per band.</summary>
    public const int VipsFormatUchar = 0;

    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int vips_init(string argv0);

    [LibraryImport(Vips)]
    public static partial void vips_cache_set_max(int max);

    [LibraryImport(Vips)]
    public static partial void vips_block_untrusted_set(int state);

    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void vips_operation_block_set(string name, int state);

    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint vips_operation_new(string name);

    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int vips_object_set_from_string(nint vipsObject, string options);

    [LibraryImport(Vips)]
    public static partial nint vips_cache_operation_build(nint operation);

    [LibraryImport(Vips)]
    public static partial void vips_object_unref_outputs(nint operation);

    /// <summary>Copies and clears the (process-global) error buffer; free the result with g_free.</summary>
    [LibraryImport(Vips)]
    public static partial nint vips_error_buffer_copy();

    [LibraryImport(Vips)]
    public static partial nuint vips_image_get_type();

    [LibraryImport(Vips)]
    public static partial nuint vips_blob_get_type();

    [LibraryImport(Vips)]
    public static partial nint vips_blob_copy(byte* data, nuint length);

    [LibraryImport(Vips)]
    public static partial byte* vips_blob_get(nint blob, nuint* length);

    [LibraryImport(Vips)]
    public static partial void vips_area_unref(nint area);

    [LibraryImport(Vips)]
    public static partial int vips_image_get_width(VipsImage image);

    [LibraryImport(Vips)]
    public static partial int vips_image_get_height(VipsImage image);

    [LibraryImport(Vips)]
    public static partial int vips_image_get_bands(VipsImage image);

    [LibraryImport(Vips)]
    public static partial nint vips_image_copy_memory(VipsImage image);

    [LibraryImport(Vips)]
    public static partial nint vips_image_new_from_memory_copy(byte* data, nuint size, int width, int height, int bands, int format);

    [LibraryImport(Vips)]
    public static partial byte* vips_image_write_to_memory(VipsImage image, nuint* size);

    [LibraryImport(GObjectLibrary)]
    public static partial GValue* g_value_init(GValue* value, nuint gtype);

    [LibraryImport(GObjectLibrary)]
    public static partial void g_value_unset(GValue* value);

    [LibraryImport(GObjectLibrary)]
    public static partial void g_value_set_object(GValue* value, nint gobject);

    [LibraryImport(GObjectLibrary)]
    public static partial nint g_value_dup_object(GValue* value);

    [LibraryImport(GObjectLibrary)]
    public static partial void g_value_set_boxed(GValue* value, nint boxed);

    [LibraryImport(GObjectLibrary)]
    public static partial nint g_value_get_boxed(GValue* value);

    [LibraryImport(GObjectLibrary, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void g_value_set_string(GValue* value, string text);

    [LibraryImport(GObjectLibrary, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void g_object_set_property(nint gobject, string name, GValue* value);

    [LibraryImport(GObjectLibrary, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void g_object_get_property(nint gobject, string name, GValue* value);

    [LibraryImport(GObjectLibrary)]
    public static partial void g_object_unref(nint gobject);

    [LibraryImport(GLibLibrary)]
    public static partial void g_free(void* memory);
}
