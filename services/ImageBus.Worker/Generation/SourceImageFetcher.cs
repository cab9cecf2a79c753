using ImageBus.Contracts;
using ImageBus.Http;
using ImageBus.Imaging;
using ImageBus.Storage;
using Microsoft.Extensions.Options;

namespace ImageBus.Worker.Generation;

/// <summary>An image to edit or enhance, as fetched and checked.</summary>
public sealed record SourceImage(byte[] Bytes, string MimeType);

/// <summary>A source image could not be used; <see cref="Code"/> is one of <see cref="WorkerErrorCodes"/>.</summary>
public sealed class SourceImageException(string code, string message, bool isTransient, Exception? innerException = null)
    : Exception(message, innerException)
{
    public string Code { get; } = code;
    public bool IsTransient { get; } = isTransient;
}

/// <summary>Gets the source image of an edit/enhance item: reads an upload from the blob store, or downloads a URL (http or
/// https only, at most <see cref="ImagingOptions.SourceImageMaxBytes"/>, within <see cref="WorkerOptions.SourceImageTimeout"/>),
/// and checks it is a PNG, JPEG or WebP within the pixel limit before it goes to Gemini. Used as a typed HttpClient.</summary>
public sealed class SourceImageFetcher(
    HttpClient http, IBlobStore blobs, IImageProcessor images, IOptions<WorkerOptions> options, IOptions<ImagingOptions> imaging)
{
    /// <summary>The item's source image, or null when it edits none.</summary>
    public async Task<SourceImage?> FetchAsync(CaseImageItem item, CancellationToken ct) => item switch
    {
        { SourceImageKey: { } key } => await ReadUploadAsync(key, ct),
        { SourceImageUrl: { } url } => await DownloadAsync(url, ct),
        _ => null,
    };

    /// <summary>An upload the gateway checked and stored; checked again, as the store is not the gateway.</summary>
    async Task<SourceImage> ReadUploadAsync(string key, CancellationToken ct)
    {
        await using var stream = await blobs.OpenReadAsync(key, ct)
            ?? throw Invalid($"the uploaded source image {key} is not in the blob store");
        using var bytes = new MemoryStream();
        await stream.CopyToAsync(bytes, ct);
        return Checked(bytes.ToArray(), $"the uploaded source image {key}");
    }

    async Task<SourceImage> DownloadAsync(string url, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw Invalid($"the source image URL '{url}' is not an absolute http or https URL");
        }

        // Our own deadline over headers and body alike: a slow server cannot hold a worker slot.
        using var deadline = CallDeadline.Start(options.Value.SourceImageTimeout, ct);
        byte[] bytes;
        try
        {
            using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            if (!response.IsSuccessStatusCode)
            {
                var status = (int)response.StatusCode;
                var message = $"the source image {uri} answered HTTP {status}";
                throw status is 408 or 429 || status >= 500 ? Unavailable(message) : Invalid(message);
            }

            var maxBytes = imaging.Value.SourceImageMaxBytes;
            bytes = await HttpBodies.ReadAtMostAsync(response.Content, maxBytes, deadline.Token)
                ?? throw Invalid($"the source image {uri} is larger than {maxBytes} bytes");
        }
        catch (OperationCanceledException ex) when (deadline.Expired)
        {
            throw Unavailable($"the source image {uri} did not arrive within {options.Value.SourceImageTimeout.TotalSeconds:0.###} s", ex);
        }
        catch (HttpRequestException ex) when (ex.InnerException is OutboundAddressRefusedException refused)
        {
            // An internal address (SSRF): asking again will not change the answer.
            throw Invalid($"the source image {uri} may not be fetched: {refused.Message}", ex);
        }
        catch (HttpRequestException ex)
        {
            throw Unavailable($"the source image {uri} could not be fetched: {ex.Message}", ex);
        }

        return Checked(bytes, $"the source image {uri}");
    }

    SourceImage Checked(byte[] bytes, string what)
    {
        try
        {
            return new SourceImage(bytes, images.Inspect(bytes).ContentType);
        }
        catch (ImageProcessingException ex)
        {
            throw Invalid($"{what} is not usable: {ex.Message}", ex);
        }
    }

    static SourceImageException Invalid(string message, Exception? inner = null) =>
        new(WorkerErrorCodes.SourceImageInvalid, message, isTransient: false, inner);

    static SourceImageException Unavailable(string message, Exception? inner = null) =>
        new(WorkerErrorCodes.SourceImageUnavailable, message, isTransient: true, inner);
}
