using Microsoft.Extensions.Logging;

namespace ImageBus.Gemini;

/// <summary>Checks at start-up that the configured key works and that <see cref="GeminiOptions.Model"/> and every one of
/// <see cref="GeminiOptions.AllowedModels"/>, and <see cref="GeminiOptions.AnalysisModel"/>, exist and generate content, so a typo or a retired model stops the service
/// with one clear line instead of failing every job later.</summary>
public static class GeminiModelCheck
{
    private const string ModelSetting = $"{GeminiOptions.Section}:{nameof(GeminiOptions.Model)}";
    private const string AllowedSetting = $"{GeminiOptions.Section}:{nameof(GeminiOptions.AllowedModels)}";
    private const string AnalysisSetting = $"{GeminiOptions.Section}:{nameof(GeminiOptions.AnalysisModel)}";

    /// <exception cref="GeminiConfigurationException">The key is rejected, or a model does not exist or cannot generate
    /// content; the message is one line naming each such model, its setting, and the image models the key can use.
    /// Transient failures (Gemini briefly unreachable) are only logged: the jobs' retries cover them.</exception>
    public static async Task EnsureUsableAsync(IGeminiClient client, GeminiOptions options, ILogger logger, CancellationToken ct)
    {
        var problems = new List<(string Model, string Setting, string Reason)>();
        // The analysis model too: a staged item's first call goes to it.
        var models = options.UsableModels.Select(id => (Id: id, Setting: id == options.Model ? ModelSetting : AllowedSetting))
            .Append((Id: options.AnalysisModel, Setting: AnalysisSetting));
        foreach (var (id, setting) in models)
        {
            GeminiModel model;
            try
            {
                model = await client.GetModelAsync(id, ct);
            }
            catch (GeminiException ex) when (ex.IsTransient)
            {
                logger.LogWarning("Could not check Gemini model {Model} at {BaseUrl} ({ErrorCode}); starting anyway",
                    id, options.BaseUrl, ex.ErrorCode);
                return;
            }
            catch (GeminiException ex) when (ex.ErrorCode is GeminiErrorCodes.ApiKeyInvalid or GeminiErrorCodes.Unauthenticated
                                             || ex.HttpStatus is 401 or 403)
            {
                throw new GeminiConfigurationException(
                    $"Gemini rejected the API key: set Gemini:{nameof(GeminiOptions.ApiKey)} or {GeminiOptions.ApiKeyVariable}", ex);
            }
            catch (GeminiException ex) when (ex.HttpStatus == 404)
            {
                problems.Add((id, setting, GeminiImageModels.Retired.TryGetValue(id, out var shutDown)
                    ? $"was shut down on {shutDown:yyyy-MM-dd}"
                    : "does not exist"));
                continue;
            }

            if (!model.SupportsGenerateContent)
            {
                problems.Add((id, setting, "does not support generateContent"));
            }
        }

        if (problems.Count > 0)
        {
            var what = string.Join("; ", problems.Select(p => $"'{p.Model}' {p.Reason} ({p.Setting})"));
            var imageSettings = problems.Select(p => p.Setting).Where(s => s != AnalysisSetting).Distinct().ToList();
            List<string> advice = imageSettings.Count == 0 ? [] : [$"set {string.Join(" and ", imageSettings)} from {await ImageModelsAsync(client, ct)}"];
            if (problems.Exists(p => p.Setting == AnalysisSetting))
            {
                advice.Add($"set {AnalysisSetting} to a text model this key can use");
            }

            throw new GeminiConfigurationException($"Gemini model {what} at {options.BaseUrl}: {string.Join("; ", advice)}");
        }

        logger.LogInformation("Gemini models {Models} and analysis model {AnalysisModel} at {BaseUrl} are usable",
            options.UsableModels, options.AnalysisModel, options.BaseUrl);
    }

    /// <summary>"the image models this key can use: a, b" over every page of models.list, keeping image models that generate content.</summary>
    private static async Task<string> ImageModelsAsync(IGeminiClient client, CancellationToken ct)
    {
        try
        {
            var usable = (await client.ListModelsAsync(ct)).Where(m => m.IsUsableImageModel).Select(m => m.Id).Distinct().ToList();
            return usable.Count == 0
                ? "the image models this key can use (the model list names none)"
                : $"the image models this key can use: {string.Join(", ", usable)}";
        }
        catch (GeminiException)
        {
            // The list is a courtesy; the advice stands without it.
            return "the image models this key can use (the model list could not be read)";
        }
    }
}

/// <summary>The configured key or model cannot work; the message is one line saying what to set.</summary>
public sealed class GeminiConfigurationException(string message, Exception? innerException = null)
    : Exception(message, innerException);
