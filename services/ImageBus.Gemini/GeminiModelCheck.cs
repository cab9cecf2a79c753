using Microsoft.Extensions.Logging;

namespace ImageBus.Gemini;

/// <summary>Checks at start-up that the configured key and model work, so a typo stops the service with one
/// clear line instead of failing every job later.</summary>
public static class GeminiModelCheck
{
    /// <exception cref="GeminiConfigurationException">The key is rejected, the model does not exist or cannot generate
    /// content. Transient failures (Gemini briefly unreachable) are only logged: the jobs' retries cover them.</exception>
    public static async Task EnsureUsableAsync(IGeminiClient client, GeminiOptions options, ILogger logger, CancellationToken ct)
    {
        GeminiModel model;
        try
        {
            model = await client.GetModelAsync(ct);
        }
        catch (GeminiException ex) when (ex.IsTransient)
        {
            logger.LogWarning("Could not check Gemini model {Model} at {BaseUrl} ({ErrorCode}); starting anyway",
                options.Model, options.BaseUrl, ex.ErrorCode);
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
            throw new GeminiConfigurationException(
                $"Gemini model '{options.Model}' does not exist at {options.BaseUrl}: {await SuggestModelsAsync(client, ct)}", ex);
        }

        if (!model.SupportsGenerateContent)
        {
            throw new GeminiConfigurationException(
                $"Gemini model '{options.Model}' at {options.BaseUrl} does not support generateContent: {await SuggestModelsAsync(client, ct)}");
        }

        logger.LogInformation("Gemini model {Model} at {BaseUrl} is usable", options.Model, options.BaseUrl);
    }

    private static async Task<string> SuggestModelsAsync(IGeminiClient client, CancellationToken ct)
    {
        const string Advice = "set Gemini:Model";
        try
        {
            var usable = (await client.ListModelsAsync(ct)).Where(m => m.SupportsGenerateContent).Select(m => m.Id).ToList();
            return usable.Count == 0 ? Advice : $"{Advice} to one of: {string.Join(", ", usable)}";
        }
        catch (GeminiException)
        {
            // The list is a courtesy; the advice stands without it.
            return Advice;
        }
    }
}

/// <summary>The configured key or model cannot work; the message is one line saying what to set.</summary>
public sealed class GeminiConfigurationException(string message, Exception? innerException = null)
    : Exception(message, innerException);
