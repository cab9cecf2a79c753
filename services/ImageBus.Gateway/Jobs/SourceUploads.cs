using ImageBus.Api;
using ImageBus.Contracts;
using ImageBus.Imaging;
using ImageBus.Jobs;
using ImageBus.Storage;
using Microsoft.Extensions.Options;

namespace ImageBus.Gateway.Jobs;

/// <summary>An upload that passed the checks, with the blob key it will be stored under.</summary>
public sealed record CheckedUpload(string Key, byte[] Bytes, string ContentType);

/// <summary>What the uploads of one submission came to: every problem found, and the checked upload of each part named.</summary>
public sealed record UploadCheck(IReadOnlyList<ValidationError> Errors, IReadOnlyDictionary<string, CheckedUpload> ByPart)
{
    /// <summary>The blob key an item's source image will have, if it names a usable upload.</summary>
    public string? KeyOf(SubmitJobItem item) =>
        item.SourceImageUpload is { } part && ByPart.TryGetValue(part, out var upload) ? upload.Key : null;
}

/// <summary>Source images uploaded with a case as file parts of a <c>multipart/form-data</c> submission. Each is checked
/// as the worker checks a downloaded one — at most <see cref="ImagingOptions.SourceImageMaxBytes"/>, a PNG, JPEG or WebP by
/// its signature, header dimensions within <see cref="ImagingOptions.MaxInputPixels"/>, no pixel decoded — and stored
/// under a fresh key of the tenant, which the item carries to the worker.</summary>
public sealed class SourceUploads(IBlobStore blobs, IImageProcessor images, IOptions<ImagingOptions> options)
{
    /// <param name="files">The request's file parts; null for a JSON submission, which can name none.</param>
    public async Task<UploadCheck> CheckAsync(
        string tenantId, IReadOnlyList<SubmitJobItem?> items, IFormFileCollection? files, CancellationToken cancellationToken)
    {
        var errors = new List<ValidationError>();
        // Items naming the same part share its upload (and its problem): each part is checked once.
        var checkedParts = new Dictionary<string, (CheckedUpload? Upload, string? Problem)>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is not { SourceImageUpload: { } part } item)
            {
                continue;
            }

            var field = $"items[{i}].sourceImageUpload";
            if (item.SourceImageUrl is not null)
            {
                errors.Add(new(field, "give either sourceImageUrl or sourceImageUpload, not both"));
            }
            else if (files?.GetFile(part) is not { } file)
            {
                errors.Add(new(field, files is null
                    ? "names a file part: send the job as multipart/form-data, the JSON in a part named job and the file beside it"
                    : $"names no file part of the request ({InputText.Show(part)})"));
            }
            else
            {
                if (!checkedParts.TryGetValue(part, out var result))
                {
                    checkedParts[part] = result = await CheckAsync(tenantId, file, cancellationToken);
                }

                if (result.Problem is { } problem)
                {
                    errors.Add(new(field, problem));
                }
            }
        }

        return new UploadCheck(errors, checkedParts
            .Where(p => p.Value.Upload is not null)
            .ToDictionary(p => p.Key, p => p.Value.Upload!, StringComparer.Ordinal));
    }

    /// <summary>Stores the checked uploads under their keys.</summary>
    public async Task StoreAsync(UploadCheck check, CancellationToken cancellationToken)
    {
        foreach (var upload in check.ByPart.Values)
        {
            await blobs.PutAsync(upload.Key, upload.Bytes, upload.ContentType, cancellationToken);
        }
    }

    async Task<(CheckedUpload? Upload, string? Problem)> CheckAsync(string tenantId, IFormFile file, CancellationToken cancellationToken)
    {
        var maxBytes = options.Value.SourceImageMaxBytes;
        if (file.Length > maxBytes)
        {
            return (null, $"{InputText.Show(file.Name)} is {file.Length} bytes, over the limit of {maxBytes} bytes");
        }

        var bytes = new byte[file.Length];
        await using (var stream = file.OpenReadStream())
        {
            await stream.ReadExactlyAsync(bytes, cancellationToken);
        }

        try
        {
            var inspected = images.Inspect(bytes);
            // A tenant id outside its charset has no blob keys; the validator reports the id, nothing is stored.
            return (TenantIds.IsValid(tenantId) ? new CheckedUpload(BlobKeys.ForUpload(tenantId), bytes, inspected.ContentType) : null, null);
        }
        catch (ImageProcessingException exception)
        {
            return (null, $"{InputText.Show(file.Name)} is not a usable image: {exception.Message}");
        }
    }
}
