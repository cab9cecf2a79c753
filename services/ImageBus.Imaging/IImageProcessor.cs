namespace ImageBus.Imaging;

/// <summary>Checks and converts uploaded or generated images. Implementations are thread-safe.</summary>
public interface IImageProcessor
{
    /// <summary>Identifies the format from its signature (PNG, JPEG or WebP only) and reads the dimensions from
    /// the header, without decoding pixels.</summary>
    /// <exception cref="ImageProcessingException">Empty, unsupported, unreadable or over the pixel limit.</exception>
    ImageInfo Inspect(ReadOnlySpan<byte> data);

    /// <summary>Checks <paramref name="source"/> as <see cref="Inspect"/> does, cover-resizes it (centre crop; no
    /// resampling when it already has that size) to exactly <paramref name="width"/> x <paramref name="height"/> and
    /// encodes it as JPEG (transparency flattened on white, metadata stripped): a job's image, all an image waits for.</summary>
    /// <exception cref="ImageProcessingException">The input is refused or cannot be decoded.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The requested size is below 1 or over the pixel limit.</exception>
    EncodedImage Render(ReadOnlyMemory<byte> source, int width, int height);

    /// <summary>The same image as WebP: made from a JPEG <see cref="Render"/> made, when it is first asked for.</summary>
    /// <exception cref="ImageProcessingException">The input is refused or cannot be decoded.</exception>
    EncodedImage ToWebp(ReadOnlyMemory<byte> image);

    /// <summary>The square JPEG thumbnail (<see cref="ImagingOptions.ThumbnailSize"/>) of the image's centre: made from a JPEG
    /// <see cref="Render"/> made, when it is first asked for.</summary>
    /// <exception cref="ImageProcessingException">The input is refused or cannot be decoded.</exception>
    EncodedImage ToThumbnail(ReadOnlyMemory<byte> image);
}
