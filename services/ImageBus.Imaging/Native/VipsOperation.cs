namespace ImageBus.Imaging.Native;

/// <summary>One libvips operation call by the well-defined, non-variadic route: <c>vips_operation_new</c>,
/// inputs as GValues (<c>g_object_set_property</c>) or option strings (<c>vips_object_set_from_string</c>,
/// which rejects unknown names), <c>vips_cache_operation_build</c>, outputs via <c>g_object_get_property</c>;
/// Dispose releases the outputs the operation still holds and the operation itself.</summary>
internal sealed unsafe class VipsOperation : IDisposable
{
    private readonly string _name;
    private nint _operation;

    public VipsOperation(string name)
    {
        VipsRuntime.EnsureInitialized();
        _name = name;
        _operation = NativeMethods.vips_operation_new(name);
        if (_operation == 0)
        {
            throw VipsException.FromErrorBuffer(name);
        }
    }

    public void SetImage(string property, VipsImage image)
    {
        var value = default(GValue);
        NativeMethods.g_value_init(&value, NativeMethods.vips_image_get_type());
        NativeMethods.g_value_set_object(&value, image.DangerousGetHandle());
        SetProperty(property, &value);
        GC.KeepAlive(image);
    }

    /// <summary>Copies <paramref name="data"/> into a reference-counted vips blob: loaders read lazily, long
    /// after this call, so they must never see managed memory that can move or be reused.</summary>
    public void SetBuffer(string property, ReadOnlySpan<byte> data)
    {
        nint blob;
        fixed (byte* bytes = data)
        {
            blob = NativeMethods.vips_blob_copy(bytes, (nuint)data.Length);
        }

        var value = default(GValue);
        NativeMethods.g_value_init(&value, NativeMethods.vips_blob_get_type());
        NativeMethods.g_value_set_boxed(&value, blob);
        NativeMethods.vips_area_unref(blob);
        SetProperty(property, &value);
    }

    /// <summary>Sets a string argument verbatim; for values an option string could not quote safely.</summary>
    public void SetString(string property, string text)
    {
        var value = default(GValue);
        NativeMethods.g_value_init(&value, NativeMethods.GTypeString);
        NativeMethods.g_value_set_string(&value, text);
        SetProperty(property, &value);
    }

    /// <summary>Sets scalar arguments from text such as <c>"width=512,crop=centre"</c>.</summary>
    public void SetOptions(string options)
    {
        if (NativeMethods.vips_object_set_from_string(_operation, options) != 0)
        {
            throw VipsException.FromErrorBuffer(_name);
        }
    }

    public void Build()
    {
        var built = NativeMethods.vips_cache_operation_build(_operation);
        if (built == 0)
        {
            throw VipsException.FromErrorBuffer(_name);
        }

        // The build hands back its own reference (the same object while the cache is off); keep only that one.
        NativeMethods.g_object_unref(_operation);
        _operation = built;
    }

    public VipsImage GetImage(string property)
    {
        var value = default(GValue);
        NativeMethods.g_value_init(&value, NativeMethods.vips_image_get_type());
        NativeMethods.g_object_get_property(_operation, property, &value);
        var image = new VipsImage(NativeMethods.g_value_dup_object(&value));
        NativeMethods.g_value_unset(&value);
        return image;
    }

    public byte[] GetBuffer(string property)
    {
        var value = default(GValue);
        NativeMethods.g_value_init(&value, NativeMethods.vips_blob_get_type());
        NativeMethods.g_object_get_property(_operation, property, &value);
        try
        {
            nuint length;
            var bytes = NativeMethods.vips_blob_get(NativeMethods.g_value_get_boxed(&value), &length);
            return new ReadOnlySpan<byte>(bytes, checked((int)length)).ToArray();
        }
        finally
        {
            NativeMethods.g_value_unset(&value);
        }
    }

    public void Dispose()
    {
        if (_operation == 0)
        {
            return;
        }

        NativeMethods.vips_object_unref_outputs(_operation);
        NativeMethods.g_object_unref(_operation);
        _operation = 0;
    }

    private void SetProperty(string property, GValue* value)
    {
        NativeMethods.g_object_set_property(_operation, property, value);
        NativeMethods.g_value_unset(value);
    }
}
