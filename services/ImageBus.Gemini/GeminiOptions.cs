using System.ComponentModel.DataAnnotations;

namespace ImageBus.Gemini;

/// <summary>Where Gemini is and how hard to try. Section <c>Gemini</c>.</summary>
public sealed class GeminiOptions : IValidatableObject
{
    public const string Section = "Gemini";

    /// <summary>Read when <see cref="ApiKey"/> is not configured, as Google's own tools do.</summary>
    public const string ApiKeyVariable = "GEMINI_API_KEY";

    [Required]
    [Url]
    public string BaseUrl { get; set; } = "https://generativelanguage.googleapis.com";

    [Required(ErrorMessage = "Set Gemini:ApiKey or the GEMINI_API_KEY environment variable.")]
    public string? ApiKey { get; set; }

    /// <summary>The model a request without its own <see cref="GeminiImageRequest.Model"/> is sent to.</summary>
    [Required]
    public string Model { get; set; } = GeminiImageModels.Default;

    /// <summary>Other models a request may name in <see cref="GeminiImageRequest.Model"/> (<see cref="Model"/> is always
    /// allowed); the start-up check checks each. Left empty in configuration it means
    /// <see cref="GeminiImageModels.CurrentIds"/> (binding appends to a pre-filled list, so
    /// <see cref="GeminiServiceCollectionExtensions.AddGeminiClient"/> fills the default in after binding).</summary>
    public List<string> AllowedModels { get; set; } = [];

    /// <summary>Upper bound of one HTTP call, body included; the caller's token can only shorten it.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:30:00")]
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Calls in total, the first included.</summary>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 4;

    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan BaseBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Cap of our own backoff (not of a wait the server asks for: see <see cref="MaxRetryAfter"/>).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait a server's RetryInfo or Retry-After is honoured for; a longer one is cut to this.
    /// A per-minute quota asks for under a minute.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The text model that analyses a staged item's source image (step 1, a text-output generateContent call),
    /// checked at start-up like the image models. A current Gemini Flash text model by default.</summary>
    [Required]
    public string AnalysisModel { get; set; } = DefaultAnalysisModel;

    /// <summary>Gemini 3.8 Flash, generally available since 2026-09-02 with no shutdown announced (Google's deprecations page).</summary>
    public const string DefaultAnalysisModel = "gemini-3.8-flash";

    /// <summary>Upper bound of one analysis call, body included: a text answer is quicker than an image.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:30:00")]
    public TimeSpan AnalysisCallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Analysis calls in total, the first included, on the same backoff as image calls.</summary>
    [Range(1, 20)]
    public int AnalysisMaxAttempts { get; set; } = 3;

    /// <summary>Price per model id (the <see cref="Model"/> form, e.g. <c>gemini-3-pro-image</c>), in US dollars,
    /// for the cost estimate each generated image reports; the <see cref="AnalysisModel"/>'s per-token prices go here too. A model
    /// missing here reports no cost.</summary>
    public Dictionary<string, GeminiPrice> Prices { get; set; } = new(StringComparer.Ordinal);

    /// <summary>What an image made through the Batch API costs, as a share of <see cref="Prices"/> (Google bills batches at
    /// half the live price).</summary>
    [Range(typeof(decimal), "0", "1")]
    public decimal BatchPriceFactor { get; set; } = 0.5m;

    /// <summary>The largest batch create body sent with its requests inline (Google takes up to 20 MB inline, less a
    /// margin here); a larger batch goes up as a JSONL file through the Files API (up to 2 GB) and is created naming it.</summary>
    [Range(1, int.MaxValue)]
    public int BatchInlineMaxBytes { get; set; } = DefaultBatchInlineMaxBytes;

    public const int DefaultBatchInlineMaxBytes = 19_000_000;

    /// <summary><see cref="Model"/> and then <see cref="AllowedModels"/>, each once.</summary>
    public IReadOnlyList<string> UsableModels => [.. new[] { Model }.Concat(AllowedModels).Distinct(StringComparer.Ordinal)];

    /// <summary>Whether a request may name <paramref name="model"/>.</summary>
    public bool IsAllowed(string model) => model == Model || AllowedModels.Contains(model, StringComparer.Ordinal);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (AllowedModels.Any(string.IsNullOrWhiteSpace))
        {
            yield return new ValidationResult("Gemini:AllowedModels must not hold an empty model id.", [nameof(AllowedModels)]);
        }

        // Data annotations do not descend into dictionaries on their own.
        foreach (var (model, price) in Prices)
        {
            var problems = new List<ValidationResult>();
            if (!Validator.TryValidateObject(price, new ValidationContext(price), problems, validateAllProperties: true))
            {
                foreach (var problem in problems)
                {
                    yield return new ValidationResult($"Gemini:Prices:{model}: {problem.ErrorMessage}", [nameof(Prices)]);
                }
            }
        }

        if (MaxBackoff < BaseBackoff)
        {
            yield return new ValidationResult("Gemini:MaxBackoff must not be below Gemini:BaseBackoff.",
                [nameof(MaxBackoff), nameof(BaseBackoff)]);
        }
    }
}
