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

/// <summary>Gemini's <c>models</c>, <c>batches</c> and <c>files</c> routes under both API versions, <c>/v1</c> (the
/// official JS SDK's default) and <c>/v1beta</c>, with the same behaviour; any other path under them answers Google's
/// JSON 404. The Files API's upload and download live under <c>/upload/{version}</c> and <c>/download/{version}</c>, as
/// at Google (its batch-mode guide's REST examples: resumable upload, then <c>…/download/v1beta/files/…:download?alt=media</c>).</summary>
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
                    FakeBatches batches, FakeFiles files, IOptions<FakeGeminiOptions> options, HttpContext http) =>
                PostAsync(version, modelAndMethod, known, generate, batches, files, options.Value, http));
            var batchRoutes = api.MapGroup("/batches").AddEndpointFilter<ApiKeyFilter>();
            batchRoutes.MapGet("", (string? pageSize, string? pageToken, FakeBatches batches, IOptions<FakeGeminiOptions> options) =>
                ListBatches(pageSize, pageToken, batches, options.Value));
            batchRoutes.MapGet("/{id}", (string id, FakeBatches batches) => GetBatch(id, batches));
            batchRoutes.MapPost("/{idAndMethod}", (string idAndMethod, FakeBatches batches, HttpContext http) => CancelBatch(version, idAndMethod, batches, http));
            var fileRoutes = api.MapGroup("/files").AddEndpointFilter<ApiKeyFilter>();
            fileRoutes.MapGet("/{idAndMethod}", (string idAndMethod, string? alt, FakeFiles files, HttpContext http) =>
                GetFile(version, idAndMethod, alt, files, http));
            fileRoutes.MapDelete("/{id}", (string id, FakeFiles files, HttpContext http) => DeleteFile(id, files, http));
            // The session's URL is the chunks' credential, so only the start call is checked for the key (by the handler).
            app.MapPost($"/upload/{version}/files", (FakeFiles files, IOptions<FakeGeminiOptions> options, HttpContext http) =>
                UploadAsync(version, files, options.Value, http));
            app.MapGet($"/download/{version}/files/{{idAndMethod}}", (string idAndMethod, string? alt, FakeFiles files, HttpContext http) =>
                    GetFile(version, idAndMethod, alt, files, http))
                .AddEndpointFilter<ApiKeyFilter>();
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
        string version, string modelAndMethod, FakeModels known, FakeGenerateContent generate, FakeBatches batches, FakeFiles files,
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
            return await CreateBatchAsync(model, known, batches, files, http, options);
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

    /// <summary>models.batchGenerateContent with inline requests or an uploaded JSONL file of them (<c>fileName</c>);
    /// each request is checked when the batch runs, as at Google, but a line that is no <c>{"key", "request"}</c> object
    /// is refused at once, naming the line.</summary>
    private static async Task<IResult> CreateBatchAsync(
        string model, FakeModels known, FakeBatches batches, FakeFiles files, HttpContext http, FakeGeminiOptions options)
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
        var input = body?.Batch.InputConfig;
        var (requests, fileProblem) = input?.FileName is { } fileName
            ? ReadInputFile(fileName, files)
            : (input?.Requests?.Requests ?? [], null);
        // A file's requests are noted as inline ones are: the markers of each, on the create call.
        FakeRequestLog.Note(http, model, string.Concat(requests.Select(r =>
            FakeGeminiMarkers.Parse(string.Concat(r.Request?.Contents?.SelectMany(c => c.Parts ?? []).Select(p => p.Text) ?? [])).Summary)));
        if (body?.Batch is not { } batch)
        {
            return GoogleErrors.Create(400, "Invalid JSON payload received.");
        }

        if (string.IsNullOrWhiteSpace(batch.DisplayName))
        {
            return GoogleErrors.InvalidBatch("display_name", "display_name is required.");
        }

        if (input?.FileName is not null && input.Requests is not null)
        {
            return GoogleErrors.InvalidBatch("input_config", "give requests or file_name, not both.");
        }

        if (fileProblem is not null)
        {
            return fileProblem;
        }

        if (requests.Count == 0 || requests.Any(r => r.Request is null))
        {
            return GoogleErrors.InvalidBatch("input_config.requests", "at least one request is required, each with a request.");
        }

        if (!known.Draws(model))
        {
            return GoogleErrors.NoImageOutput(model);
        }

        return TypedResults.Ok(await batches.CreateAsync(model, batch, requests, fromFile: input?.FileName is not null));
    }

    /// <summary>A batch's input file as requests, each with its line's key as metadata (as inline requests carry theirs),
    /// or why not: no such file, or a line (1-based) that is no <c>{"key", "request"}</c> object.</summary>
    private static (IReadOnlyList<InlinedRequest> Requests, JsonHttpResult<ErrorEnvelope>? Problem) ReadInputFile(string name, FakeFiles files)
    {
        if (files.Find(name) is not { } file)
        {
            return ([], GoogleErrors.FileNotFound(name));
        }

        var requests = new List<InlinedRequest>();
        var lines = file.Data.AsSpan();
        for (var number = 1; !lines.IsEmpty; number++)
        {
            var end = lines.IndexOf((byte)'\n');
            var line = end < 0 ? lines : lines[..end];
            lines = end < 0 ? [] : lines[(end + 1)..];
            if (line.Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }

            string reason;
            try
            {
                if (JsonSerializer.Deserialize(line, GeminiJsonContext.Default.BatchRequestLine) is { Key.Length: > 0, Request: not null } request)
                {
                    requests.Add(new InlinedRequest(request.Request, new Dictionary<string, string> { ["key"] = request.Key }));
                    continue;
                }

                reason = "it needs a key and a request.";
            }
            catch (JsonException ex)
            {
                reason = ex.Message;
            }

            return (requests, GoogleErrors.InvalidBatch("input_config.file_name",
                $"line {number.ToString(CultureInfo.InvariantCulture)} of {name} is not a {{\"key\", \"request\"}} object: {reason}"));
        }

        return (requests, null);
    }

    /// <summary>files.get, or the file's bytes for <c>{id}:download?alt=media</c> (under <c>/download/{version}</c>, and
    /// under <c>/{version}</c> as generated files' <c>uri</c>s are).</summary>
    private static IResult GetFile(string version, string idAndMethod, string? alt, FakeFiles files, HttpContext http)
    {
        FakeRequestLog.Note(http, "-", "");
        var colon = idAndMethod.LastIndexOf(':');
        var name = FakeFiles.Prefix + (colon < 0 ? idAndMethod : idAndMethod[..colon]);
        var method = colon < 0 ? "" : idAndMethod[(colon + 1)..];
        var downloading = http.Request.Path.StartsWithSegments("/download", StringComparison.Ordinal);
        if (method is not ("" or "download") || (downloading && method != "download"))
        {
            return GoogleErrors.RouteNotFound(http.Request.Method, http.Request.Path);
        }

        if (files.Find(name) is not { } file)
        {
            return GoogleErrors.FileNotFound(name);
        }

        if (method != "download")
        {
            return TypedResults.Ok(FakeFiles.Describe(file, version, BaseUrl(http)));
        }

        return alt == "media"
            ? TypedResults.Bytes(file.Data, file.MimeType)
            : GoogleErrors.Create(400, "A download takes alt=media.");
    }

    /// <summary>files.delete answers an empty object, as Google does.</summary>
    private static IResult DeleteFile(string id, FakeFiles files, HttpContext http)
    {
        FakeRequestLog.Note(http, "-", "");
        var name = FakeFiles.Prefix + id;
        return files.Delete(name) ? TypedResults.Content("{}", "application/json") : GoogleErrors.FileNotFound(name);
    }

    /// <summary>media.upload by Google's resumable protocol: without <c>upload_id</c> the start call (the key checked,
    /// <c>{"file": {"displayName"}}</c> and the declared size and type), answered with the session's URL in
    /// <c>X-Goog-Upload-URL</c>; with it a chunk at <c>X-Goog-Upload-Offset</c>, the last one's <c>upload, finalize</c>
    /// answered with <c>{"file": …}</c>. Multipart uploads are not played (the client does not use them).</summary>
    private static async Task<IResult> UploadAsync(string version, FakeFiles files, FakeGeminiOptions options, HttpContext http)
    {
        FakeRequestLog.Note(http, "-", "");
        var request = http.Request;
        var uploadId = request.Query["upload_id"].ToString();
        if (uploadId.Length == 0)
        {
            if (ApiKeyFilter.Problem(request, options) is { } denied)
            {
                return denied;
            }

            if (request.Headers[GoogUpload.Protocol].ToString() is var protocol && protocol != "resumable")
            {
                return GoogleErrors.Create(400, $"The fake takes {GoogUpload.Protocol} resumable only, not '{protocol}'.");
            }

            if (request.Headers[GoogUpload.Command].ToString() != "start")
            {
                return GoogleErrors.Create(400, $"A resumable upload begins with {GoogUpload.Command}: start.");
            }

            long? declared = long.TryParse(request.Headers[GoogUpload.ContentLength], NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                ? length
                : null;
            var mimeType = request.Headers[GoogUpload.ContentType].ToString() is { Length: > 0 } type ? type : "application/octet-stream";
            // Whatever its Content-Type says (Google's own example sends application/jsonl), the start body is the file's JSON metadata.
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, http.RequestAborted);
            var metadata = body.Length == 0 ? null : Deserialize(body.ToArray(), GeminiJsonContext.Default.GeminiFileEnvelope);
            var id = files.StartUpload(metadata?.File?.DisplayName ?? "", mimeType, declared);
            http.Response.Headers[GoogUpload.Url] = $"{BaseUrl(http)}/upload/{version}/files?upload_id={id}&upload_protocol=resumable";
            http.Response.Headers[GoogUpload.Status] = "active";
            return TypedResults.Ok();
        }

        var commands = request.Headers[GoogUpload.Command].ToString().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (!commands.Contains("upload")
            || !long.TryParse(request.Headers[GoogUpload.Offset], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            return GoogleErrors.Create(400, $"A chunk takes {GoogUpload.Command}: upload (and finalize on the last) and {GoogUpload.Offset}.");
        }

        using var chunk = new MemoryStream();
        await request.Body.CopyToAsync(chunk, http.RequestAborted);
        var (file, problem, unknown) = files.Upload(uploadId, offset, chunk.ToArray(), commands.Contains("finalize"));
        if (problem is not null)
        {
            return GoogleErrors.Create(unknown ? 404 : 400, problem);
        }

        http.Response.Headers[GoogUpload.Status] = file is null ? "active" : "final";
        return file is null ? TypedResults.Ok() : TypedResults.Ok(new GeminiFileEnvelope(FakeFiles.Describe(file, version, BaseUrl(http))));
    }

    private static string BaseUrl(HttpContext http) => $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}";

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
        public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
            Problem(context.HttpContext.Request, options.Value) ?? await next(context);

        /// <summary>The answer to a request without the right key, or null when its key is right.</summary>
        public static JsonHttpResult<ErrorEnvelope>? Problem(HttpRequest request, FakeGeminiOptions options)
        {
            var key = request.Headers["x-goog-api-key"].ToString() is { Length: > 0 } header ? header : request.Query["key"].ToString();
            if (key.Length == 0)
            {
                return GoogleErrors.MissingKey();
            }

            return options.ApiKey.Length > 0 && key != options.ApiKey ? GoogleErrors.InvalidKey() : null;
        }
    }
}
