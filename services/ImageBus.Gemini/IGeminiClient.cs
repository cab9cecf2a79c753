namespace ImageBus.Gemini;

/// <summary>Gemini's REST API, one HTTP call per method: no retries here (see <see cref="GeminiImageGenerator"/>).
/// Failures surface as <see cref="GeminiException"/>; the caller's cancellation as <see cref="OperationCanceledException"/>.</summary>
public interface IGeminiClient
{
    /// <summary><c>POST v1beta/models/{Gemini:Model}:generateContent</c>, returning the first image of the answer.</summary>
    Task<GeminiImage> GenerateImageAsync(GeminiImageRequest request, CancellationToken ct);

    /// <summary><c>GET v1beta/models/{Gemini:Model}</c>.</summary>
    Task<GeminiModel> GetModelAsync(CancellationToken ct);

    /// <summary><c>GET v1beta/models</c> (first page of up to 1000).</summary>
    Task<IReadOnlyList<GeminiModel>> ListModelsAsync(CancellationToken ct);
}
