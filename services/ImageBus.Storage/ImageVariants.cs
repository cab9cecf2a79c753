namespace ImageBus.Storage;

/// <summary>One rendition the worker stores for every attempt of an image, side by side under the attempt's folder.</summary>
/// <param name="Name">What the API calls it (<c>?variant=</c>).</param>
/// <param name="FileName">The last segment of its blob key.</param>
public sealed record ImageVariant(string Name, string FileName, string ContentType);

/// <summary>The renditions of a stored image: the JPEG (whose key is the image's location), a WebP of the same size and a
/// thumbnail. Named here once, for the worker that writes them and the gateway that serves them.</summary>
public static class ImageVariants
{
    public static readonly ImageVariant Full = new("full", "image.jpg", "image/jpeg");
    public static readonly ImageVariant Webp = new("webp", "image.webp", "image/webp");
    public static readonly ImageVariant Thumb = new("thumb", "thumbnail.jpg", "image/jpeg");

    public static readonly IReadOnlyList<ImageVariant> All = [Full, Webp, Thumb];

    /// <summary>The variant of that API name, or null.</summary>
    public static ImageVariant? Named(string name) => All.FirstOrDefault(v => v.Name == name);

    /// <summary>The key of <paramref name="variant"/> stored beside the JPEG at <paramref name="location"/>.</summary>
    public static string KeyBeside(string location, ImageVariant variant) =>
        location.EndsWith("/" + Full.FileName, StringComparison.Ordinal)
            ? string.Concat(location.AsSpan(0, location.Length - Full.FileName.Length), variant.FileName)
            : throw new ArgumentException($"'{location}' is not the key of an image's {Full.FileName}", nameof(location));
}
