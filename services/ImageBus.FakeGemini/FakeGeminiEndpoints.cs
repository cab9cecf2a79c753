using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
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
            // The body's shape follows the method, so the handler reads it itself.
            models.MapPost("/{modelAndMethod}", (string modelAndMethod, FakeModels known, FakeGenerateContent generate,
                    FakeBatches batches, IOptions<FakeGeminiOptions> options, HttpContext http) =>
                PostAsync(version, modelAndMethod, known, generate, batches, options.Value, http));
            var batchRoutes = api.MapGroup("/batches").AddEndpointFilter<ApiKeyFilter>();
            batchRoutes.MapGet("", (string? pageSize, string? pageToken, FakeBatches batches, IOptions<FakeGeminiOptions> options) =>
                ListBatches(pageSize, pageToken, batches, options.Value));
            batchRoutes.MapGet("/{id}", (string id, FakeBatches batches) => GetBatch(id, batches));
            batchRoutes.MapPost("/{idAndMethod}", (string idAndMethod, FakeBatches batches, HttpContext http) => CancelBatch(version, idAndMethod, batches, http));
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
        if (Page(pageSize, pageToken, options) is not { } page)
        {
            return PageProblem(pageSize, pageToken, options);
        }

        var all = known.All;
        var models = all.Skip(page.Offset).Take(page.Size).ToList();
        return TypedResults.Ok(new ModelList(models, NextPageToken(page.Offset, models.Count, all.Count)));
    }

    /// <summary>batches.list, paged as models.list is.</summary>
    private static Results<Ok<BatchOperationList>, JsonHttpResult<ErrorEnvelope>> ListBatches(
        string? pageSize, string? pageToken, FakeBatches batches, FakeGeminiOptions options)
    {
        if (Page(pageSize, pageToken, options) is not { } page)
        {
            return PageProblem(pageSize, pageToken, options);
        }

        var all = batches.All;
        var operations = all.Skip(page.Offset).Take(page.Size).ToList();
        return TypedResults.Ok(new BatchOperationList(operations, NextPageToken(page.Offset, operations.Count, all.Count)));
    }

    private static Results<Ok<BatchOperation>, JsonHttpResult<ErrorEnvelope>> GetBatch(string id, FakeBatches batches) =>
        batches.Find($"batches/{id}") is { } batch ? TypedResults.Ok(batch) : GoogleErrors.BatchNotFound($"batches/{id}");

    /// <summary>batches.cancel (<c>batches/{id}:cancel</c>) answers an empty object, as Google does.</summary>
    private static IResult CancelBatch(string version, string idAndMethod, FakeBatches batches, HttpContext http)
    {
        var colon = idAndMethod.LastIndexOf(':');
        if (colon < 0 || idAndMethod[(colon + 1)..] != "cancel")
        {
            return GoogleErrors.RouteNotFound(http.Request.Method, http.Request.Path);
        }

        var name = $"batches/{idAndMethod[..colon]}";
        FakeRequestLog.Note(http, "-", "");
        return batches.TryCancel(name) ? TypedResults.Content("{}", "application/json") : GoogleErrors.BatchNotFound(name);
    }

    /// <summary>The page asked for, or null when <paramref name="pageSize"/> or <paramref name="pageToken"/> is not valid:
    /// <c>pageSize</c> defaults to <see cref="FakeGeminiOptions.DefaultPageSize"/> and is capped at
    /// <see cref="FakeGeminiOptions.MaxPageSize"/>; <c>pageToken</c> is the previous page's opaque token.</summary>
    private static (int Size, int Offset)? Page(string? pageSize, string? pageToken, FakeGeminiOptions options)
    {
        var size = options.DefaultPageSize;
        if (!string.IsNullOrEmpty(pageSize))
        {
            if (!int.TryParse(pageSize, NumberStyles.None, CultureInfo.InvariantCulture, out var asked))
            {
                return null;
            }

            size = asked == 0 ? options.DefaultPageSize : Math.Min(asked, options.MaxPageSize);
        }

        var offset = 0;
        return string.IsNullOrEmpty(pageToken) || TryReadPageToken(pageToken, out offset) ? (size, offset) : null;
    }

    private static JsonHttpResult<ErrorEnvelope> PageProblem(string? pageSize, string? pageToken, FakeGeminiOptions options) =>
        Page(pageSize, null, options) is null
            ? GoogleErrors.Create(400, $"Invalid value at 'page_size' (TYPE_INT32), \"{pageSize}\"")
            : GoogleErrors.Create(400, "The page token is not valid.");

    private static string? NextPageToken(int offset, int count, int total) => offset + count < total ? PageToken(offset + count) : null;

    private static Results<Ok<GeminiModel>, JsonHttpResult<ErrorEnvelope>> GetModel(
        string version, string model, FakeModels known, HttpContext http)
    {
        FakeRequestLog.Note(http, model, "");
        return known.Knows(model) ? TypedResults.Ok(known.Describe(model)) : GoogleErrors.ModelNotFound(version, model);
    }

    private static async Task<IResult> PostAsync(
        string version, string modelAndMethod, FakeModels known, FakeGenerateContent generate, FakeBatches batches,
        FakeGeminiOptions options, HttpContext http)
    {
        var colon = modelAndMethod.LastIndexOf(':');
        var model = colon < 0 ? modelAndMethod : modelAndMethod[..colon];
        var method = colon < 0 ? "" : modelAndMethod[(colon + 1)..];
        if (method is not (FakeModels.GenerateContent or FakeBatches.BatchGenerateContent) || !known.Knows(model)
            || known.Describe(model).SupportsGenerateContent is false)
        {
            FakeRequestLog.Note(http, model, "");
            return GoogleErrors.ModelNotFound(version, model);
        }

        if (method == FakeBatches.BatchGenerateContent)
        {
            return await CreateBatchAsync(model, known, batches, http, options);
        }

        if (await ReadBodyAsync(http, GeminiJsonContext.Default.GenerateContentRequest) is not { } request)
        {
            FakeRequestLog.Note(http, model, "");
            return GoogleErrors.Create(400, "Invalid JSON payload received.");
        }

        // A text model answers text-output calls (a staged item's analysis), and refuses to draw.
        if (!known.Draws(model) && !FakeGenerateContent.WantsTextOnly(request))
        {
            FakeRequestLog.Note(http, model, "");
            return GoogleErrors.NoImageOutput(model);
        }

        return await generate.HandleAsync(model, request, http);
    }

    /// <summary>models.batchGenerateContent with inline requests; each request is checked when the batch runs, as at Google.</summary>
    private static async Task<IResult> CreateBatchAsync(string model, FakeModels known, FakeBatches batches, HttpContext http, FakeGeminiOptions options)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        if (buffer.Length > options.BatchMaxInlineBytes)
        {
            FakeRequestLog.Note(http, model, "");
            return GoogleErrors.InvalidBatch("input_config.requests",
                $"inline requests are limited to {options.BatchMaxInlineBytes.ToString(CultureInfo.InvariantCulture)} bytes in all; use an input file.");
        }

        var body = Deserialize(buffer.ToArray(), GeminiJsonContext.Default.BatchGenerateContentRequest);
        var requests = body?.Batch.InputConfig?.Requests?.Requests ?? [];
        FakeRequestLog.Note(http, model, string.Concat(requests.Select(r =>
            FakeGeminiMarkers.Parse(string.Concat(r.Request.Contents?.SelectMany(c => c.Parts ?? []).Select(p => p.Text) ?? [])).Summary)));
        if (body?.Batch is not { } batch)
        {
            return GoogleErrors.Create(400, "Invalid JSON payload received.");
        }

        if (string.IsNullOrWhiteSpace(batch.DisplayName))
        {
            return GoogleErrors.InvalidBatch("display_name", "display_name is required.");
        }

        if (batch.InputConfig?.FileName is not null)
        {
            return GoogleErrors.InvalidBatch("input_config.file_name", "the fake takes inline requests only.");
        }

        if (requests.Count == 0 || requests.Any(r => r.Request is null))
        {
            return GoogleErrors.InvalidBatch("input_config.requests", "at least one request is required, each with a request.");
        }

        if (!known.Draws(model))
        {
            return GoogleErrors.NoImageOutput(model);
        }

        return TypedResults.Ok(await batches.CreateAsync(model, batch, requests));
    }

    private static T? Deserialize<T>(byte[] body, JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(body, type);
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private static async Task<T?> ReadBodyAsync<T>(HttpContext http, JsonTypeInfo<T> type)
    {
        try
        {
            return await http.Request.ReadFromJsonAsync(type, http.RequestAborted);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return default;
        }
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
