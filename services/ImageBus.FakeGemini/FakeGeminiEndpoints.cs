using ImageBus.Gemini;
using ImageBus.Gemini.Wire;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ImageBus.FakeGemini;

/// <summary>Gemini's <c>v1beta/models</c> routes.</summary>
internal static class FakeGeminiEndpoints
{
    private const string GenerateContent = "generateContent";

    public static IEndpointRouteBuilder MapFakeGemini(this IEndpointRouteBuilder app)
    {
        var models = app.MapGroup("/v1beta/models").AddEndpointFilter<ApiKeyFilter>();
        models.MapGet("", ListModels);
        models.MapGet("/{model}", GetModel);
        // Gemini's custom-method style puts a colon inside the last segment: {model}:generateContent.
        models.MapPost("/{modelAndMethod}", PostAsync);
        return app;
    }

    private static Ok<ModelList> ListModels(IOptions<FakeGeminiOptions> options) =>
        TypedResults.Ok(new ModelList(options.Value.Models.Select(Describe).ToList()));

    private static Results<Ok<GeminiModel>, JsonHttpResult<ErrorEnvelope>> GetModel(
        string model, IOptions<FakeGeminiOptions> options, HttpContext http)
    {
        FakeRequestLog.Note(http, model, "");
        return options.Value.Models.Contains(model) ? TypedResults.Ok(Describe(model)) : GoogleErrors.ModelNotFound(model);
    }

    private static async Task<Results<Ok<GenerateContentResponse>, JsonHttpResult<ErrorEnvelope>>> PostAsync(
        string modelAndMethod, GenerateContentRequest request, IOptions<FakeGeminiOptions> options,
        FakeGenerateContent generate, HttpContext http)
    {
        var colon = modelAndMethod.LastIndexOf(':');
        var model = colon < 0 ? modelAndMethod : modelAndMethod[..colon];
        if (colon < 0 || modelAndMethod[(colon + 1)..] != GenerateContent || !options.Value.Models.Contains(model))
        {
            FakeRequestLog.Note(http, model, "");
            return GoogleErrors.ModelNotFound(model);
        }

        return await generate.HandleAsync(model, request, http);
    }

    private static GeminiModel Describe(string model) => new($"models/{model}", model, [GenerateContent, "countTokens"]);

    /// <summary>Gemini's key rules: none → 403, a wrong one → 400 API_KEY_INVALID. Header or <c>?key=</c>.</summary>
    private sealed class ApiKeyFilter(IOptions<FakeGeminiOptions> options) : IEndpointFilter
    {
        public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            var request = context.HttpContext.Request;
            var key = request.Headers["x-goog-api-key"].ToString() is { Length: > 0 } header ? header : request.Query["key"].ToString();
            var expected = options.Value.ApiKey;
            if (key.Length == 0)
            {
                return GoogleErrors.MissingKey();
            }

            return expected.Length > 0 && key != expected ? GoogleErrors.InvalidKey() : await next(context);
        }
    }
}
