namespace ImageBus.Worker.Generation;

/// <summary>Codes of <see cref="ImageBus.Contracts.ImageGenerationFailed"/> that come from the worker rather than
/// from Gemini (whose codes are <see cref="ImageBus.Gemini.GeminiErrorCodes"/> and its safety reasons).</summary>
public static class WorkerErrorCodes
{
    /// <summary>The job was cancelled before the image was asked of Gemini.</summary>
    public const string Cancelled = "CANCELLED";

    /// <summary>Gemini's bytes did not decode, twice.</summary>
    public const string InvalidImage = "INVALID_IMAGE";

    /// <summary>The source image could not be fetched now (network, timeout, a 5xx); may work later.</summary>
    public const string SourceImageUnavailable = "SOURCE_IMAGE_UNAVAILABLE";

    /// <summary>The source image URL answered with something unusable: a 4xx, too many bytes, not a PNG/JPEG/WebP.</summary>
    public const string SourceImageInvalid = "SOURCE_IMAGE_INVALID";
}
