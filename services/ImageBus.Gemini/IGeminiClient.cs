namespace ImageBus.Gemini;

/// <summary>Gemini's REST API, one HTTP call per method (<see cref="ListModelsAsync"/>: one a page): no retries here
/// (see <see cref="GeminiImageGenerator"/>). Failures surface as <see cref="GeminiException"/>; the caller's
/// cancellation as <see cref="OperationCanceledException"/>.</summary>
public interface IGeminiClient
{
    /// <summary><c>POST v1beta/models/{model}:generateContent</c> with the request's model (default
    /// <see cref="GeminiOptions.Model"/>), returning the first image of the answer.</summary>
    /// <exception cref="GeminiException"><see cref="GeminiErrorCodes.ModelNotAllowed"/> without a call when the request
    /// names a model outside <see cref="GeminiOptions.AllowedModels"/>.</exception>
    Task<GeminiImage> GenerateImageAsync(GeminiImageRequest request, CancellationToken ct);

    /// <summary><c>POST v1beta/models/{model}:generateContent</c> with <c>responseModalities</c> TEXT and the image as
    /// <c>inlineData</c>, returning the answer's text.</summary>
    Task<GeminiText> GenerateTextAsync(GeminiTextRequest request, CancellationToken ct);

    /// <summary><c>GET v1beta/models/{model}</c>.</summary>
    Task<GeminiModel> GetModelAsync(string model, CancellationToken ct);

    /// <summary><c>GET v1beta/models</c>, every page (following <c>nextPageToken</c>).</summary>
    Task<IReadOnlyList<GeminiModel>> ListModelsAsync(CancellationToken ct);
}
