namespace ImageBus.Imaging;

/// <summary>Recognises accepted formats by their leading bytes, so that only the matching libvips loader
/// ever sees the data.</summary>
internal static class ImageSignature
{
    private static ReadOnlySpan<byte> Png => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private static ReadOnlySpan<byte> Jpeg => [0xFF, 0xD8, 0xFF];

    private static ReadOnlySpan<byte> Riff => "RIFF"u8;

    private static ReadOnlySpan<byte> Webp => "WEBP"u8;

    public static ImageFormat? Detect(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith(Png))
        {
            return ImageFormat.Png;
        }

        if (data.StartsWith(Jpeg))
        {
            return ImageFormat.Jpeg;
        }

        // RIFF container: "RIFF", 4-byte little-endian size, then the form type "WEBP".
        if (data.Length >= 12 && data.StartsWith(Riff) && data[8..12].SequenceEqual(Webp))
        {
            return ImageFormat.Webp;
        }

        return null;
    }
}
