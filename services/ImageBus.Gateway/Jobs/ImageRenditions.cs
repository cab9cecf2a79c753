using ImageBus.Imaging;
using ImageBus.Storage;

namespace ImageBus.Gateway.Jobs;

/// <summary>An image's WebP and thumbnail, made from its stored JPEG the first time either is asked for and stored beside
/// it: the worker stores only the JPEG, so these never delay an image being done.</summary>
public sealed class ImageRenditions(IBlobStore blobs, IImageProcessor images)
{
    /// <summary>The key and version of <paramref name="variant"/> of the image whose JPEG is at <paramref name="location"/>,
    /// made now if it is not stored yet; null when the JPEG itself is gone.</summary>
    public async Task<(string Key, string Version)?> FindOrMakeAsync(string location, ImageVariant variant, CancellationToken cancellationToken)
    {
        var key = ImageVariants.KeyBeside(location, variant);
        if (await blobs.VersionOfAsync(key, cancellationToken) is { } stored)
        {
            return (key, stored);
        }

        if (variant == ImageVariants.Full || await ReadAsync(location, cancellationToken) is not { } jpeg)
        {
            return null;
        }

        // Two gateways asked at once both make it; the same bytes land under the same key.
        var made = variant == ImageVariants.Webp ? images.ToWebp(jpeg) : images.ToThumbnail(jpeg);
        await blobs.PutAsync(key, made.Bytes, made.ContentType, cancellationToken);
        return await blobs.VersionOfAsync(key, cancellationToken) is { } version ? (key, version) : null;
    }

    async Task<byte[]?> ReadAsync(string key, CancellationToken cancellationToken)
    {
        await using var stream = await blobs.OpenReadAsync(key, cancellationToken);
        if (stream is null)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }
}
