using System.Globalization;
using ImageBus.Gemini;
using Microsoft.Extensions.Options;

namespace ImageBus.FakeGemini;

/// <summary>The models the fake knows: <see cref="FakeGeminiOptions.Models"/>, which draw under their
/// <see cref="GeminiImageModels"/> rules, then <see cref="FakeGeminiOptions.OtherModels"/>, which are only listed.</summary>
internal sealed class FakeModels(IOptions<FakeGeminiOptions> options)
{
    public const string GenerateContent = "generateContent";

    /// <summary>Every model in models.list order.</summary>
    public IReadOnlyList<GeminiModel> All =>
        [.. options.Value.Models.Concat(options.Value.OtherModels).Distinct(StringComparer.Ordinal).Select(Describe)];

    public bool Draws(string model) => options.Value.Models.Contains(model, StringComparer.Ordinal);

    public bool Knows(string model) => Draws(model) || options.Value.OtherModels.Contains(model, StringComparer.Ordinal);

    public GeminiModel Describe(string model) => new($"models/{model}", DisplayName(model), Methods(model));

    private IReadOnlyList<string> Methods(string model) => Draws(model)
        ? [GenerateContent, "countTokens"]
        : model.Contains("imagen", StringComparison.OrdinalIgnoreCase) ? ["predict"]
        : model.Contains("embedding", StringComparison.OrdinalIgnoreCase) ? ["embedContent", "countTokens"]
        : [GenerateContent, "countTokens"];

    // "gemini-3.1-flash-image" → "Gemini 3.1 Flash Image".
    private static string DisplayName(string model) =>
        string.Join(' ', model.Split('-', StringSplitOptions.RemoveEmptyEntries)
            .Select(word => char.ToUpper(word[0], CultureInfo.InvariantCulture) + word[1..]));
}
