using ImageBus.Gemini;
using ImageBus.Gemini.Wire;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ImageBus.FakeGemini;

/// <summary>Errors in Google's envelope, worded as Gemini words them.</summary>
internal static class GoogleErrors
{
    public static JsonHttpResult<ErrorEnvelope> Create(int status, string message, params ErrorDetail[] details) =>
        TypedResults.Json(
            new ErrorEnvelope(new ErrorStatus(status, message, GeminiErrorCodes.FromHttpStatus(status), details.Length == 0 ? null : details)),
            statusCode: status);

    public static JsonHttpResult<ErrorEnvelope> ModelNotFound(string model) =>
        Create(404, $"models/{model} is not found for API version v1beta, or is not supported for generateContent. "
                    + "Call ListModels to see the list of available models and their supported methods.");

    public static JsonHttpResult<ErrorEnvelope> MissingKey() =>
        Create(403, "Method doesn't allow unregistered callers (callers without established identity). "
                    + "Please use API Key or other form of API consumer identity to call this API.");

    public static JsonHttpResult<ErrorEnvelope> InvalidKey() =>
        Create(400, "API key not valid. Please pass a valid API key.",
            new ErrorDetail(ErrorDetail.ErrorInfoType, GeminiErrorCodes.ApiKeyInvalid, "googleapis.com",
                new Dictionary<string, string> { ["service"] = "generativelanguage.googleapis.com" }));

    /// <summary>A scripted failure; 429 also asks the client to wait a second, in the body and the header.</summary>
    public static JsonHttpResult<ErrorEnvelope> Scripted(int status, HttpResponse response)
    {
        if (status == 429)
        {
            response.Headers.RetryAfter = "1";
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
}
