using System.Text.Json.Serialization;

namespace ImageBus.Gemini;

/// <summary>One image to generate. With <see cref="SourceImage"/> set, the prompt edits or enhances that image.</summary>
/// <param name="AspectRatio">Gemini's form, e.g. <c>16:9</c>; null leaves the model's default (1:1).</param>
/// <param name="ImageSize"><c>512</c>, <c>1K</c>, <c>2K</c> or <c>4K</c>; null leaves the model's default (1K). Which a
/// model accepts: <see cref="GeminiImageModels"/>.</param>
/// <param name="Model">The model to ask, one of <see cref="GeminiOptions.AllowedModels"/>; null means
/// <see cref="GeminiOptions.Model"/>.</param>
public sealed record GeminiImageRequest(
    string Prompt,
    string? AspectRatio = null,
    string? ImageSize = null,
    byte[]? SourceImage = null,
    string? SourceMimeType = null,
    string? Model = null);

/// <summary>A text-output call about an image: the prompt and the image as <c>inlineData</c>, answered in text
/// (<c>responseModalities</c> TEXT).</summary>
/// <param name="Model">A text model, e.g. <see cref="GeminiOptions.AnalysisModel"/>.</param>
/// <param name="CallTimeout">This call's own deadline; <see cref="GeminiOptions.CallTimeout"/> when null.</param>
public sealed record GeminiTextRequest(string Prompt, byte[] Image, string ImageMimeType, string Model, TimeSpan? CallTimeout = null);

/// <summary>Gemini's text answer (its text parts, thoughts left out).</summary>
/// <param name="Model">The model id the request was sent to: the one prices are configured under.</param>
public sealed record GeminiText(string Text, string ModelVersion, GeminiUsage? Usage, string Model);

/// <summary>An analysis and how many calls it took.</summary>
/// <param name="BilledCalls">Of <paramref name="Calls"/>, those Google bills.</param>
public sealed record GeminiAnalysis(GeminiText Answer, int Calls, int BilledCalls);

/// <summary>The image Gemini made, as the encoded bytes it sent.</summary>
/// <param name="ModelVersion">The version Gemini says answered (may be more precise than <paramref name="Model"/>).</param>
/// <param name="Model">The model id the request was sent to: the one prices are configured under.</param>
public sealed record GeminiImage(byte[] Bytes, string MimeType, string ModelVersion, GeminiUsage? Usage, string Model);

/// <summary>Token counts as Gemini bills them (its <c>usageMetadata</c>).</summary>
public sealed record GeminiUsage(int PromptTokenCount, int CandidatesTokenCount, int TotalTokenCount);

/// <summary>A model as <c>GET v1beta/models/{model}</c> (and each entry of <c>models.list</c>) describes it; <see cref="Name"/> reads <c>models/…</c>.</summary>
public sealed record GeminiModel(string Name, string? DisplayName, IReadOnlyList<string>? SupportedGenerationMethods)
{
    /// <summary>The name without the <c>models/</c> prefix, as it goes into <c>Gemini:Model</c>.</summary>
    [JsonIgnore]
    public string Id => Name.StartsWith(ModelPrefix, StringComparison.Ordinal) ? Name[ModelPrefix.Length..] : Name;

    [JsonIgnore]
    public bool SupportsGenerateContent => SupportedGenerationMethods?.Contains("generateContent") == true;

    /// <summary>An image model (by <see cref="GeminiImageModels.LooksLikeImageModel"/>) that can generate content: one
    /// <see cref="GeminiOptions.Model"/> can name.</summary>
    [JsonIgnore]
    public bool IsUsableImageModel => SupportsGenerateContent && GeminiImageModels.LooksLikeImageModel(Id, DisplayName);

    private const string ModelPrefix = "models/";
}

/// <summary>A generated image and how many calls it took.</summary>
/// <param name="BilledCalls">Of <paramref name="Calls"/>, those Google bills (the last one, and any earlier HTTP 200 answer).</param>
public sealed record GeminiGeneration(GeminiImage Image, int Calls, int BilledCalls);
