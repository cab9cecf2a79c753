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

    /// <summary>Prefix of a staged item's step-1 failure: <c>ANALYSIS_</c> and the Gemini code of the analysis call
    /// (<c>ANALYSIS_TIMEOUT</c>, <c>ANALYSIS_UNAVAILABLE</c>, <c>ANALYSIS_NO_TEXT</c>, <c>ANALYSIS_PROHIBITED_CONTENT</c>, …).
    /// No generation call follows one.</summary>
    public const string AnalysisPrefix = "ANALYSIS_";

    /// <summary>The code of a failed analysis whose Gemini code is <paramref name="geminiCode"/>.</summary>
    public static string Analysis(string geminiCode) => AnalysisPrefix + geminiCode;

    /// <summary>A staged item came without a source image to analyse (the validator requires one: an older command).</summary>
    public const string AnalysisNoSource = AnalysisPrefix + "NO_SOURCE_IMAGE";
}
