namespace ImageBus.Imaging;

/// <summary>Machine-readable values of <see cref="ImageProcessingException.Reason"/>.</summary>
public static class ImageProcessingReasons
{
    /// <summary>No bytes at all.</summary>
    public const string Empty = "empty";

    /// <summary>Not a PNG, JPEG or WebP signature.</summary>
    public const string UnsupportedFormat = "unsupported_format";

    /// <summary>The signature is right but the header or pixel data cannot be decoded (garbage, truncated).</summary>
    public const string Corrupt = "corrupt";

    /// <summary>The header declares more pixels than <see cref="ImagingOptions.MaxInputPixels"/>.</summary>
    public const string TooManyPixels = "too_many_pixels";

    /// <summary>libvips could not encode a decoded image; a fault of ours or the machine's, not of the input.</summary>
    public const string EncodeFailed = "encode_failed";
}

/// <summary>An input was refused or could not be processed. <see cref="Reason"/> says why, for callers
/// deciding whether to report the input as bad or to retry; the message is for people.</summary>
public sealed class ImageProcessingException : Exception
{
    public ImageProcessingException(string reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    /// <summary>One of <see cref="ImageProcessingReasons"/>.</summary>
    public string Reason { get; }
}
