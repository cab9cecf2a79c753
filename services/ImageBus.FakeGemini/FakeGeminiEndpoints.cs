using System.Buffers.Text;
using System.Globalization;
using System.Text;
using ImageBus.Gemini;
using ImageBus.Gemini.Wire;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ImageBus.FakeGemini;

/// <summary>Gemini's <c>models</c> routes under both API versions, <c>/v1</c> (the official JS SDK's default) and
/// <c>/v1beta</c>, with the same behaviour; any other path under them answers Google's JSON 404.</summary>
internal static class FakeGeminiEndpoints
{
    public static readonly IReadOnlyList<string> ApiVersions = ["v1", "v1beta"];

    public static IEndpointRouteBuilder MapFakeGemini(this IEndpointRouteBuilder app)
    {
        foreach (var version in ApiVersions)
        {
            var api = app.MapGroup($"/{version}");
            var models = api.MapGroup("/models").AddEndpointFilter<ApiKeyFilter>();
            models.MapGet("", (string? pageSize, string? pageToken, FakeModels known, IOptions<FakeGeminiOptions> options) =>
                ListModels(pageSize, pageToken, known, options.Value));
            models.MapGet("/{model}", (string model, FakeModels known, HttpContext http) => GetModel(version, model, known, http));
            // Gemini's custom-method style puts a colon inside the last segment: {model}:generateContent.
            models.MapPost("/{modelAndMethod}", (string modelAndMethod, GenerateContentRequest request, FakeModels known,
                    FakeGenerateContent generate, HttpContext http) => PostAsync(version, modelAndMethod, request, known, generate, http));
            api.MapFallback("{**path}", (HttpContext http) => GoogleErrors.RouteNotFound(http.Request.Method, http.Request.Path));
        }

        // Outside Google's API: the request log, for tests that run the fake as a process of its own.
        app.MapGet("/fake/requests", (FakeRequests requests) => TypedResults.Ok(requests.All));
        return app;
    }

    /// <summary>The API version a request path is under, or "".</summary>
    public static string VersionOf(string path) =>
        ApiVersions.FirstOrDefault(v => path.StartsWith($"/{v}/", StringComparison.Ordinal) || path == $"/{v}") ?? "";

    /// <summary>models.list: <c>pageSize</c> (default <see cref="FakeGeminiOptions.DefaultPageSize"/>, capped at
    /// <see cref="FakeGeminiOptions.MaxPageSize"/>) and the opaque <c>pageToken</c> of the previous page.</summary>
    private static Results<Ok<ModelList>, JsonHttpResult<ErrorEnvelope>> ListModels(
        string? pageSize, string? pageToken, FakeModels known, FakeGeminiOptions options)
    {
        var size = options.DefaultPageSize;
        if (!string.IsNullOrEmpty(pageSize))
        {
            if (!int.TryParse(pageSize, NumberStyles.None, CultureInfo.InvariantCulture, out var asked))
            {
                return GoogleErrors.Create(400, $"Invalid value at 'page_size' (TYPE_INT32), \"{pageSize}\"");
            }

            size = asked == 0 ? options.DefaultPageSize : Math.Min(asked, options.MaxPageSize);
        }

        var offset = 0;
        if (!string.IsNullOrEmpty(pageToken) && !TryReadPageToken(pageToken, out offset))
        {
            return GoogleErrors.Create(400, "The page token is not valid.");
        }

        var all = known.All;
        var page = all.Skip(offset).Take(size).ToList();
        var next = offset + page.Count < all.Count ? PageToken(offset + page.Count) : null;
        return TypedResults.Ok(new ModelList(page, next));
    }

    private static Results<Ok<GeminiModel>, JsonHttpResult<ErrorEnvelope>> GetModel(
        string version, string model, FakeModels known, HttpContext http)
    {
        FakeRequestLog.Note(http, model, "");
        return known.Knows(model) ? TypedResults.Ok(known.Describe(model)) : GoogleErrors.ModelNotFound(version, model);
    }

    private static async Task<Results<Ok<GenerateContentResponse>, JsonHttpResult<ErrorEnvelope>>> PostAsync(
        string version, string modelAndMethod, GenerateContentRequest request, FakeModels known,
        FakeGenerateContent generate, HttpContext http)
    {
        var colon = modelAndMethod.LastIndexOf(':');
        var model = colon < 0 ? modelAndMethod : modelAndMethod[..colon];
        var method = colon < 0 ? "" : modelAndMethod[(colon + 1)..];
        if (method != FakeModels.GenerateContent || !known.Knows(model)
            || known.Describe(model).SupportsGenerateContent is false)
        {
            FakeRequestLog.Note(http, model, "");
            return GoogleErrors.ModelNotFound(version, model);
        }

        // A text model answers text-output calls (a staged item's analysis), and refuses to draw.
        if (!known.Draws(model) && !FakeGenerateContent.WantsTextOnly(request))
        {
            FakeRequestLog.Note(http, model, "");
            return GoogleErrors.NoImageOutput(model);
        }

        return await generate.HandleAsync(model, request, http);
    }

    // Opaque to callers, as Google's are; here just the offset of the page's first model.
    private static string PageToken(int offset) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"offset:{offset.ToString(CultureInfo.InvariantCulture)}"));

    private static bool TryReadPageToken(string token, out int offset)
    {
        offset = 0;
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
            return text.StartsWith("offset:", StringComparison.Ordinal)
                   && int.TryParse(text.AsSpan("offset:".Length), NumberStyles.None, CultureInfo.InvariantCulture, out offset);
        }
        catch (FormatException)
        {
            return false;
        }
    }

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
