namespace ImageBus.Gemini;

/// <summary>What one image model accepts in <c>generationConfig.imageConfig</c>, and the output tokens Google bills for
/// one of its images where that is published. Pure data: no I/O, safe to use anywhere (the gateway can check a
/// submission with it before any call is made).</summary>
/// <param name="Id">The model id as it goes into <c>Gemini:Model</c> and the URL, e.g. <c>gemini-3.1-flash-image</c>.</param>
/// <param name="AspectRatios">Accepted <c>aspectRatio</c> values, Google's spelling (<c>16:9</c>).</param>
/// <param name="ImageSizes">Accepted <c>imageSize</c> values, Google's spelling (uppercase K: <c>1K</c>; lowercase is
/// rejected by Google).</param>
/// <param name="OutputTokensPerImage">Published output tokens per image by image size; a size missing here is unknown.</param>
public sealed record GeminiImageModel(
    string Id,
    IReadOnlyList<string> AspectRatios,
    IReadOnlyList<string> ImageSizes,
    IReadOnlyDictionary<string, int> OutputTokensPerImage)
{
    /// <summary>Google's defaults when <c>imageConfig</c> leaves a field out.</summary>
    public const string DefaultAspectRatio = "1:1";

    /// <inheritdoc cref="DefaultAspectRatio"/>
    public const string DefaultImageSize = "1K";

    /// <summary>Why this model would refuse <paramref name="aspectRatio"/> and <paramref name="imageSize"/> (null meaning
    /// "left to the model's default"), or null when it accepts both.</summary>
    public GeminiImageConfigProblem? Check(string? aspectRatio, string? imageSize)
    {
        if (aspectRatio is not null && !AspectRatios.Contains(aspectRatio, StringComparer.Ordinal))
        {
            return new GeminiImageConfigProblem(Id, GeminiImageConfigProblem.AspectRatioField, aspectRatio, AspectRatios);
        }

        if (imageSize is not null && !ImageSizes.Contains(imageSize, StringComparer.Ordinal))
        {
            return new GeminiImageConfigProblem(Id, GeminiImageConfigProblem.ImageSizeField, imageSize, ImageSizes);
        }

        return null;
    }

    /// <summary>Output tokens one image of <paramref name="imageSize"/> (null: the default size) is billed, when published.</summary>
    public int? OutputTokensFor(string? imageSize) =>
        OutputTokensPerImage.TryGetValue(imageSize ?? DefaultImageSize, out var tokens) ? tokens : null;

    /// <summary>The smallest size this model makes whose long edge is at least <paramref name="longEdge"/> pixels;
    /// the largest it has when none is that big.</summary>
    public string SmallestSizeCovering(int longEdge)
    {
        var sizes = ImageSizes.OrderBy(GeminiImageModels.LongEdge).ToList();
        return sizes.FirstOrDefault(s => GeminiImageModels.LongEdge(s) >= longEdge) ?? sizes[^1];
    }
}

/// <summary>An <c>imageConfig</c> value a model does not accept.</summary>
/// <param name="Field">The JSON field: <see cref="AspectRatioField"/> or <see cref="ImageSizeField"/>.</param>
public sealed record GeminiImageConfigProblem(string Model, string Field, string Value, IReadOnlyList<string> Supported)
{
    public const string AspectRatioField = "aspectRatio";
    public const string ImageSizeField = "imageSize";

    /// <summary>One line, e.g. <c>imageSize '4K' is not supported by gemini-3.1-flash-lite-image (supported: 1K)</c>.</summary>
    public string Message => $"{Field} '{Value}' is not supported by {Model} (supported: {string.Join(", ", Supported)})";
}

/// <summary>The catalogue of Gemini's image models ("Nano Banana") as Google published them (checked 2026-12-01, see
/// <c>README-GEMINI.md</c>): which are current, which were shut down, and each current one's <c>imageConfig</c> rules.</summary>
public static class GeminiImageModels
{
    /// <summary>Gemini 3.1 Flash Image ("Nano Banana 2"), generally available since 2026-05-28. The default.</summary>
    public const string Flash31 = "gemini-3.1-flash-image";

    /// <summary>Gemini 3 Pro Image ("Nano Banana Pro"), generally available since 2026-05-28.</summary>
    public const string Pro3 = "gemini-3-pro-image";

    /// <summary>Gemini 3.1 Flash-Lite Image, released 2026-06: 1K only.</summary>
    public const string FlashLite31 = "gemini-3.1-flash-lite-image";

    /// <summary>The model <see cref="GeminiOptions.Model"/> defaults to.</summary>
    public const string Default = Flash31;

    /// <summary>The aspect ratios every current image model accepts.</summary>
    public static readonly IReadOnlyList<string> CommonAspectRatios =
        ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"];

    /// <summary>The current image models, default first.</summary>
    public static readonly IReadOnlyList<GeminiImageModel> Current =
    [
        new(Flash31, [.. CommonAspectRatios, "1:4", "4:1", "1:8", "8:1"], ["512", "1K", "2K", "4K"],
            // Published for 512 only; 1K, 2K and 4K are not.
            new Dictionary<string, int>(StringComparer.Ordinal) { ["512"] = 747 }),
        new(Pro3, CommonAspectRatios, ["1K", "2K", "4K"],
            new Dictionary<string, int>(StringComparer.Ordinal) { ["1K"] = 1120, ["2K"] = 1120, ["4K"] = 2000 }),
        // Nothing published about its tokens per image.
        new(FlashLite31, CommonAspectRatios, ["1K"], new Dictionary<string, int>(StringComparer.Ordinal)),
    ];

    /// <summary>The ids of <see cref="Current"/>: what <see cref="GeminiOptions.AllowedModels"/> defaults to.</summary>
    public static readonly IReadOnlyList<string> CurrentIds = [.. Current.Select(m => m.Id)];

    /// <summary>Image models Google has shut down, with the day their endpoint went away: calls to them fail.</summary>
    public static readonly IReadOnlyDictionary<string, DateOnly> Retired = new Dictionary<string, DateOnly>(StringComparer.Ordinal)
    {
        ["gemini-2.5-flash-image"] = new(2026, 10, 2),
        ["gemini-3-pro-image-preview"] = new(2026, 6, 25),
        ["gemini-3.1-flash-image-preview"] = new(2026, 6, 25),
    };

    /// <summary>The catalogue entry of a current model, or null for one the catalogue does not know (or a retired one).</summary>
    public static GeminiImageModel? Find(string model) => Current.FirstOrDefault(m => m.Id == model);

    /// <summary>The rules <paramref name="model"/> is held to: its catalogue entry, or for a model the catalogue does not
    /// know (a newer one allowed by configuration) the common aspect ratios and 1K, 2K and 4K, which every current model
    /// but the lite one accepts.</summary>
    public static GeminiImageModel RulesOf(string model) =>
        Find(model) ?? new GeminiImageModel(model, CommonAspectRatios, UncataloguedSizes, new Dictionary<string, int>(StringComparer.Ordinal));

    /// <summary>Every <c>imageSize</c> value some model accepts, smallest first; see <see cref="LongEdge"/>.</summary>
    public static readonly IReadOnlyList<string> ImageSizes = ["512", "1K", "2K", "4K"];

    private static readonly IReadOnlyList<string> UncataloguedSizes = ["1K", "2K", "4K"];

    /// <summary>Nominal long edge in pixels of an <c>imageSize</c> value: 512, 1K = 1024, 2K = 2048, 4K = 4096; null for
    /// anything else (Google itself rejects lowercase <c>1k</c>).</summary>
    public static int? LongEdge(string imageSize) => imageSize switch
    {
        "512" => 512,
        "1K" => 1024,
        "2K" => 2048,
        "4K" => 4096,
        _ => null,
    };

    /// <summary>True when a model from <c>models.list</c> reads as an image model by its id or display name (an id
    /// containing "image", as every Gemini image model's does, or the "Nano Banana" family name). Whether it can
    /// generate content is a separate question: Imagen models match here but only answer <c>predict</c>.</summary>
    public static bool LooksLikeImageModel(string id, string? displayName) =>
        Mentions(id) || (displayName is not null && Mentions(displayName));

    private static bool Mentions(string text) =>
        text.Contains("image", StringComparison.OrdinalIgnoreCase)
        || text.Replace('-', ' ').Contains("nano banana", StringComparison.OrdinalIgnoreCase);
}
