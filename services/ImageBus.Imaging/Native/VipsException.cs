using System.Runtime.InteropServices;

namespace ImageBus.Imaging.Native;

/// <summary>A libvips call reported failure by its return code. Internal: the processor turns it into an
/// <see cref="ImageProcessingException"/> with a reason callers can act on.</summary>
internal sealed class VipsException : Exception
{
    private VipsException(string operation, string detail)
        : base(detail.Length == 0 ? $"libvips {operation} failed." : $"libvips {operation} failed: {detail}")
    {
        Detail = detail;
    }

    /// <summary>libvips's own error text; may be empty (e.g. a PNG signature followed by garbage).</summary>
    public string Detail { get; }

    /// <summary>Reads (and thereby clears) the error buffer. The buffer is shared by all threads, so the text
    /// is only a diagnostic; failure itself was already decided by the caller from a return code.</summary>
    public static unsafe VipsException FromErrorBuffer(string operation)
    {
        var text = NativeMethods.vips_error_buffer_copy();
        try
        {
            return new VipsException(operation, (Marshal.PtrToStringUTF8(text) ?? string.Empty).Trim());
        }
        finally
        {
            NativeMethods.g_free((void*)text);
        }
    }
}
