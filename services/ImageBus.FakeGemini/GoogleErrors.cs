using System.Globalization;
using System.Text.Json;
using ImageBus.Gemini;
using ImageBus.Gemini.Wire;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ImageBus.FakeGemini;

/// <summary>Errors in Google's envelope (<c>{"error": {"code", "message", "status", "details"}}</c>), in the fake's own words.</summary>
internal static class GoogleErrors
{
    public static JsonHttpResult<ErrorEnvelope> Create(int status, string message, params ErrorDetail[] details) =>
        TypedResults.Json(
            new ErrorEnvelope(new ErrorStatus(status, message, GeminiErrorCodes.FromHttpStatus(status), details.Length == 0 ? null : details)),
            statusCode: status);

    public static JsonHttpResult<ErrorEnvelope> ModelNotFound(string version, string model) =>
        Create(404, $"models/{model} is not found for API version {version}, or is not supported for generateContent. "
                    + "Call ListModels to see the list of available models and their supported methods.");

    /// <summary>A path under <c>/v1</c> or <c>/v1beta</c> that names no method.</summary>
    public static JsonHttpResult<ErrorEnvelope> RouteNotFound(string method, string path) =>
        Create(404, $"No method answers {method} {path}.");

    public static JsonHttpResult<ErrorEnvelope> MissingKey() =>
        Create(403, "Method doesn't allow unregistered callers (callers without established identity). "
                    + "Please use API Key or other form of API consumer identity to call this API.");

    public static JsonHttpResult<ErrorEnvelope> InvalidKey() =>
        Create(400, "API key not valid. Please pass a valid API key.",
            new ErrorDetail(ErrorDetail.ErrorInfoType, GeminiErrorCodes.ApiKeyInvalid, "googleapis.com",
                new Dictionary<string, string> { ["service"] = "generativelanguage.googleapis.com" }));

    /// <summary>400 INVALID_ARGUMENT for an imageConfig value the model does not take.</summary>
    public static JsonHttpResult<ErrorEnvelope> UnsupportedImageConfig(GeminiImageConfigProblem problem) =>
        Create(400, $"* GenerateContentRequest.generation_config.image_config.{Snake(problem.Field)}: {problem.Message}");

    /// <summary>400 INVALID_ARGUMENT from a model that generates text but not images.</summary>
    public static JsonHttpResult<ErrorEnvelope> NoImageOutput(string model) =>
        Create(400, $"models/{model} does not support the requested response modality IMAGE.");

    /// <summary>429 RESOURCE_EXHAUSTED as a quota answers it: QuotaFailure, a Help link and RetryInfo, no Retry-After header.</summary>
    public static JsonHttpResult<ErrorEnvelope> QuotaExceeded(FakeQuotaWindow window, string model, int limit, string retryDelay)
    {
        var (quotaId, metric, name) = window == FakeQuotaWindow.Day
            ? ("GenerateRequestsPerDayPerProjectPerModel", "generativelanguage.googleapis.com/generate_requests_per_model_per_day", "requests per day")
            : ("GenerateRequestsPerMinutePerProjectPerModel", "generativelanguage.googleapis.com/generate_requests_per_model", "requests per minute");
        return Create(429,
            $"Quota exceeded for {name} of model {model} (limit {limit.ToString(CultureInfo.InvariantCulture)}). "
            + $"Please retry in {retryDelay}.",
            new ErrorDetail(ErrorDetail.QuotaFailureType, Violations:
            [
                new QuotaViolation(QuotaMetric: metric, QuotaId: quotaId,
                    QuotaDimensions: new Dictionary<string, string> { ["location"] = "global", ["model"] = model },
                    QuotaValue: Int64(limit)),
            ]),
            new ErrorDetail("type.googleapis.com/google.rpc.Help"),
            new ErrorDetail(ErrorDetail.RetryInfoType, RetryDelay: retryDelay));
    }

    /// <summary>A protobuf duration as Google writes it: seconds with up to nine decimals and an "s".</summary>
    public static string Duration(TimeSpan duration) =>
        duration.TotalSeconds.ToString("0.#########", CultureInfo.InvariantCulture) + "s";

    /// <summary>A scripted failure; 429 also asks the client to wait a second, in the body and the header.</summary>
    /// <param name="response">The live call's response, for the Retry-After header; null for a request of a batch.</param>
    public static JsonHttpResult<ErrorEnvelope> Scripted(int status, HttpResponse? response)
    {
        if (status == 429)
        {
            response?.Headers.RetryAfter = "1";
            return Create(status, "Resource has been exhausted (e.g. check quota).",
                new ErrorDetail(ErrorDetail.RetryInfoType, RetryDelay: "1s"));
        }

        return Create(status, status switch
        {
            400 => "Request contains an invalid argument.",
            500 => "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
            503 => "The model is overloaded. Please try again later.",
            504 => "The request timed out. Please try again.",
            _ => $"Scripted failure {status}.",
        });
    }

    /// <summary>400 for a batch the fake cannot take.</summary>
    public static JsonHttpResult<ErrorEnvelope> InvalidBatch(string field, string message) =>
        Create(400, $"* BatchGenerateContentRequest.batch.{field}: {message}");

    public static JsonHttpResult<ErrorEnvelope> BatchNotFound(string name) =>
        Create(404, $"Batch {name} was not found.");

    public static JsonHttpResult<ErrorEnvelope> FileNotFound(string name) =>
        Create(404, $"File {name} was not found.");

    // An int64, which protobuf's JSON writes as a string.
    private static JsonElement Int64(long value)
    {
        using var document = JsonDocument.Parse($"\"{value.ToString(CultureInfo.InvariantCulture)}\"");
        return document.RootElement.Clone();
    }

    private static string Snake(string camel) =>
        string.Concat(camel.Select(c => char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : c.ToString()));
}
