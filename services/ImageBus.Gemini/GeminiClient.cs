using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ImageBus.Gemini.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImageBus.Gemini;

/// <summary>The HTTP implementation of <see cref="IGeminiClient"/> and <see cref="IGeminiBatchClient"/>, used as a typed HttpClient.</summary>
internal sealed class GeminiClient(
    HttpClient http,
    IOptions<GeminiOptions> options,
    IGeminiRateLimiter rateLimiter,
    ILogger<GeminiClient> logger) : IGeminiClient, IGeminiBatchClient
{
    private const string ApiKeyHeader = "x-goog-api-key";

    // The API version image generation is documented under; the fake serves v1 too.
    private const string ApiVersion = "v1beta";

    // Google returns at most 1000 models a page whatever is asked; the cap on pages only guards against a server
    // that keeps handing out tokens.
    private const int ModelsPageSize = 1000;
    private const int MaxModelPages = 100;

    // The metadata field each inlined request carries our key in; Google returns it with the response.
    private const string BatchKey = "key";
    private const string BatchPrefix = "batches/";
    private const string FilePrefix = "files/";
    private const int BatchesPageSize = 100;

    // Finish reasons that mean "done" rather than "refused"; with no image (or no text) they read as NO_IMAGE (NO_TEXT).
    private static readonly HashSet<string> PlainFinishReasons =
        ["STOP", "MAX_TOKENS", "FINISH_REASON_UNSPECIFIED", GeminiErrorCodes.NoImage];

    private readonly GeminiOptions _options = options.Value;

    public async Task<GeminiImage> GenerateImageAsync(GeminiImageRequest request, CancellationToken ct)
    {
        var model = request.Model ?? _options.Model;
        if (!_options.IsAllowed(model))
        {
            throw NotAllowed(model);
        }

        using var message = new HttpRequestMessage(HttpMethod.Post, $"{ApiVersion}/models/{Uri.EscapeDataString(model)}:generateContent")
        {
            Content = JsonContent.Create(ToWire(request), GeminiJsonContext.Default.GenerateContentRequest),
        };
        return ReadImage(await GenerateContentAsync(message, GeminiCallKind.Image, model, ct), model);
    }

    /// <summary>One generateContent call on the request budget of its kind and model.</summary>
    private async Task<GenerateContentResponse> GenerateContentAsync(
        HttpRequestMessage message, GeminiCallKind kind, string model, CancellationToken ct, TimeSpan? callTimeout = null)
    {
        // Before the call's own deadline starts: waiting for the budget is not Gemini being slow.
        await rateLimiter.WaitForPermitAsync(kind, model, ct);
        try
        {
            return await SendAsync(message, GeminiJsonContext.Default.GenerateContentResponse, ct, callTimeout);
        }
        catch (GeminiException ex) when (ex is { HttpStatus: 429, RetryAfter: { } delay } && GeminiQuotas.IsPerMinute(ex.QuotaId))
        {
            // The quota is the project's: every worker waits out the delay, not only the one that met it.
            await rateLimiter.PauseAsync(model, delay, ct);
            throw;
        }
    }

    public async Task<GeminiText> GenerateTextAsync(GeminiTextRequest request, CancellationToken ct)
    {
        List<Part> parts = [new Part(Text: request.Prompt), new Part(InlineData: new InlineData(request.ImageMimeType, request.Image))];
        using var message = new HttpRequestMessage(HttpMethod.Post, $"{ApiVersion}/models/{Uri.EscapeDataString(request.Model)}:generateContent")
        {
            Content = JsonContent.Create(
                new GenerateContentRequest([new Content(parts, "user")], new GenerationConfig(["TEXT"])),
                GeminiJsonContext.Default.GenerateContentRequest),
        };
        return ReadText(await GenerateContentAsync(message, GeminiCallKind.Text, request.Model, ct, request.CallTimeout), request.Model);
    }

    public async Task<GeminiModel> GetModelAsync(string model, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, $"{ApiVersion}/models/{Uri.EscapeDataString(model)}");
        return await SendAsync(message, GeminiJsonContext.Default.GeminiModel, ct);
    }

    public async Task<IReadOnlyList<GeminiModel>> ListModelsAsync(CancellationToken ct)
    {
        var models = new List<GeminiModel>();
        var tokens = new HashSet<string>(StringComparer.Ordinal);
        string? token = null;
        for (var page = 1; page <= MaxModelPages; page++)
        {
            var path = $"{ApiVersion}/models?pageSize={ModelsPageSize}"
                       + (token is null ? "" : $"&pageToken={Uri.EscapeDataString(token)}");
            using var message = new HttpRequestMessage(HttpMethod.Get, path);
            var list = await SendAsync(message, GeminiJsonContext.Default.ModelList, ct);
            models.AddRange(list.Models ?? []);
            token = list.NextPageToken;
            if (string.IsNullOrEmpty(token) || !tokens.Add(token))
            {
                break;
            }
        }

        return models;
    }

    public async Task<GeminiBatch> CreateImageBatchAsync(
        string model, string displayName, IReadOnlyList<GeminiBatchRequest> requests, CancellationToken ct)
    {
        if (!_options.IsAllowed(model))
        {
            throw NotAllowed(model);
        }

        var wire = requests.Select(r => (r.Key, Request: ToWire(r.Image))).ToList();
        var body = new BatchGenerateContentRequest(new GenerateContentBatch(DisplayName: displayName, InputConfig: new BatchInputConfig(new InlinedRequests(
            [.. wire.Select(r => new InlinedRequest(r.Request, new Dictionary<string, string> { [BatchKey] = r.Key }))]))));
        // Measured, not kept: past the limit the same requests go up as a JSONL file instead.
        var inlineBytes = JsonLines.Length(body, GeminiJsonContext.Default.BatchGenerateContentRequest);
        if (inlineBytes > _options.BatchInlineMaxBytes)
        {
            var file = await UploadBatchInputAsync(displayName, [.. wire.Select(r => new BatchRequestLine(r.Key, r.Request))], ct);
            logger.LogInformation(
                "Gemini batch {DisplayName}: {Count} requests are {Bytes} bytes inline, over Gemini:BatchInlineMaxBytes {Limit}; sent as file {File}",
                displayName, requests.Count, inlineBytes, _options.BatchInlineMaxBytes, file);
            body = new BatchGenerateContentRequest(new GenerateContentBatch(DisplayName: displayName, InputConfig: new BatchInputConfig(FileName: file)));
        }

        using var message = new HttpRequestMessage(HttpMethod.Post, $"{ApiVersion}/models/{Uri.EscapeDataString(model)}:batchGenerateContent")
        {
            Content = JsonContent.Create(body, GeminiJsonContext.Default.BatchGenerateContentRequest),
        };
        return await ReadBatchAsync(await SendAsync(message, GeminiJsonContext.Default.BatchOperation, ct), ct);
    }

    public async Task<GeminiBatch> GetBatchAsync(string name, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, $"{ApiVersion}/{BatchPath(name)}");
        return await ReadBatchAsync(await SendAsync(message, GeminiJsonContext.Default.BatchOperation, ct), ct);
    }

    /// <summary>The batch with its results, from its responses file when a succeeded batch names one (Google documents
    /// it under <c>response</c>; its SDKs read <c>metadata.output</c>: either is taken).</summary>
    private async Task<GeminiBatch> ReadBatchAsync(BatchOperation operation, CancellationToken ct)
    {
        var batch = ReadBatch(operation);
        return batch.State == GeminiBatchState.Succeeded
               && (operation.Response?.ResponsesFile ?? operation.Metadata?.Output?.ResponsesFile) is { Length: > 0 } responses
            ? batch with { Results = await DownloadBatchResultsAsync(responses, batch.Model, ct) }
            : batch;
    }

    /// <summary>The Files API's resumable upload in one chunk (Google's batch-mode guide, REST "Input file"): a start
    /// call declaring the size and type answers the session's URL in <c>X-Goog-Upload-URL</c>; the bytes go there with
    /// <c>upload, finalize</c>, which answers the file. Returns its name (<c>files/…</c>).</summary>
    private async Task<string> UploadBatchInputAsync(string displayName, IReadOnlyList<BatchRequestLine> lines, CancellationToken ct)
    {
        using var content = new JsonLinesContent<BatchRequestLine>(lines, GeminiJsonContext.Default.BatchRequestLine);
        using var start = new HttpRequestMessage(HttpMethod.Post, $"upload/{ApiVersion}/files")
        {
            Content = JsonContent.Create(new GeminiFileEnvelope(new GeminiFile(DisplayName: displayName)), GeminiJsonContext.Default.GeminiFileEnvelope),
        };
        start.Headers.TryAddWithoutValidation(GoogUpload.Protocol, "resumable");
        start.Headers.TryAddWithoutValidation(GoogUpload.Command, "start");
        start.Headers.TryAddWithoutValidation(GoogUpload.ContentLength, content.Length.ToString(CultureInfo.InvariantCulture));
        start.Headers.TryAddWithoutValidation(GoogUpload.ContentType, JsonLines.MediaType);
        var sessionUrl = await SendAsync(start, (response, _) =>
            Task.FromResult(response.Headers.TryGetValues(GoogUpload.Url, out var urls) && urls.FirstOrDefault() is { Length: > 0 } url
                ? url
                : throw new GeminiException(GeminiErrorCodes.BadResponse, $"Gemini started an upload without {GoogUpload.Url}.",
                    isTransient: true, httpStatus: (int)response.StatusCode, maxRetries: 1)), ct);

        using var upload = new HttpRequestMessage(HttpMethod.Post, sessionUrl) { Content = content };
        upload.Headers.TryAddWithoutValidation(GoogUpload.Command, "upload, finalize");
        upload.Headers.TryAddWithoutValidation(GoogUpload.Offset, "0");
        var file = (await SendAsync(upload, GeminiJsonContext.Default.GeminiFileEnvelope, ct)).File;
        return file.Name is { Length: > 0 } name
            ? name
            : throw new GeminiException(GeminiErrorCodes.BadResponse, "Gemini finished an upload without naming the file.",
                isTransient: true, httpStatus: 200, maxRetries: 1);
    }

    /// <summary><c>GET download/v1beta/{file}:download?alt=media</c>, read a line at a time as it arrives.</summary>
    private async Task<IReadOnlyList<GeminiBatchResult>> DownloadBatchResultsAsync(string file, string model, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, $"download/{ApiVersion}/{FilePath(file)}:download?alt=media");
        return await SendAsync(message, async (response, token) =>
        {
            var results = new List<GeminiBatchResult>();
            await using var stream = await response.Content.ReadAsStreamAsync(token);
            await foreach (var line in JsonSerializer.DeserializeAsyncEnumerable(
                               stream, GeminiJsonContext.Default.BatchResponseLine, topLevelValues: true, token))
            {
                results.Add(ReadBatchResult(line?.Key, results.Count, line?.Response, line?.Error, model));
            }

            return results;
        }, ct);
    }

    public async Task<IReadOnlyList<GeminiBatch>> ListBatchesAsync(CancellationToken ct)
    {
        var batches = new List<GeminiBatch>();
        var tokens = new HashSet<string>(StringComparer.Ordinal);
        string? token = null;
        for (var page = 1; page <= MaxModelPages; page++)
        {
            var path = $"{ApiVersion}/batches?pageSize={BatchesPageSize}" + (token is null ? "" : $"&pageToken={Uri.EscapeDataString(token)}");
            using var message = new HttpRequestMessage(HttpMethod.Get, path);
            var list = await SendAsync(message, GeminiJsonContext.Default.BatchOperationList, ct);
            batches.AddRange((list.Operations ?? []).Select(ReadBatch));
            token = list.NextPageToken;
            if (string.IsNullOrEmpty(token) || !tokens.Add(token))
            {
                break;
            }
        }

        return batches;
    }

    public async Task CancelBatchAsync(string name, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, $"{ApiVersion}/{BatchPath(name)}:cancel");
        await SendAsync(message, GeminiJsonContext.Default.JsonElement, ct);
    }

    // "batches/abc" as Gemini names it; the id is escaped, the slash kept.
    private static string BatchPath(string name) => ResourcePath(name, BatchPrefix, "a batch name");

    private static string FilePath(string name) => ResourcePath(name, FilePrefix, "a file name");

    private static string ResourcePath(string name, string prefix, string what) =>
        name.StartsWith(prefix, StringComparison.Ordinal) && name.Length > prefix.Length
            ? prefix + Uri.EscapeDataString(name[prefix.Length..])
            : throw new ArgumentException($"'{name}' is not {what} ({prefix}…).", nameof(name));

    private static GeminiBatch ReadBatch(BatchOperation operation)
    {
        var batch = operation.Metadata;
        var output = operation.Response?.InlinedResponses ?? batch?.Output?.InlinedResponses;
        var model = batch?.Model is { } m && m.StartsWith("models/", StringComparison.Ordinal) ? m["models/".Length..] : batch?.Model ?? "";
        var results = (output?.InlinedResponses ?? [])
            .Select((r, i) => ReadBatchResult(r.Metadata?.GetValueOrDefault(BatchKey), i, r.Response, r.Error, model))
            .ToList();
        return new GeminiBatch(operation.Name, batch?.DisplayName ?? "", model, ReadState(batch?.State), results, operation.Error?.Message);
    }

    /// <summary>One request's outcome, from an inlined response or a line of a responses file alike.</summary>
    private static GeminiBatchResult ReadBatchResult(string? key, int index, GenerateContentResponse? response, ErrorStatus? error, string model)
    {
        // Google keeps the order of the requests; the key says it outright.
        key ??= index.ToString(CultureInfo.InvariantCulture);
        if (error is not null)
        {
            var status = GeminiErrorCodes.FromRpcCode(error.Code);
            var code = error.Status ?? GeminiErrorCodes.FromHttpStatus(status);
            return new GeminiBatchResult(key, null, new GeminiException(code,
                $"Gemini failed the batch request with {code}: {error.Message}", GeminiErrorCodes.IsTransientStatus(status), status));
        }

        try
        {
            return new GeminiBatchResult(key, ReadImage(response ?? new GenerateContentResponse(), model), null);
        }
        catch (GeminiException ex)
        {
            return new GeminiBatchResult(key, null, ex);
        }
    }

    private static GeminiBatchState ReadState(string? state) =>
        (state?.Replace("BATCH_STATE_", "", StringComparison.Ordinal).Replace("JOB_STATE_", "", StringComparison.Ordinal)) switch
        {
            "PENDING" => GeminiBatchState.Pending,
            "RUNNING" => GeminiBatchState.Running,
            "SUCCEEDED" => GeminiBatchState.Succeeded,
            "FAILED" => GeminiBatchState.Failed,
            "CANCELLED" => GeminiBatchState.Cancelled,
            "EXPIRED" => GeminiBatchState.Expired,
            _ => GeminiBatchState.Unspecified,
        };

    /// <summary>The failure for a request naming a model the options do not allow.</summary>
    internal static GeminiException NotAllowed(string model) =>
        new(GeminiErrorCodes.ModelNotAllowed,
            $"Gemini model '{model}' is neither Gemini:Model nor one of Gemini:AllowedModels.", isTransient: false);

    private static GenerateContentRequest ToWire(GeminiImageRequest request)
    {
        List<Part> parts = [new Part(Text: request.Prompt)];
        if (request.SourceImage is { } source)
        {
            parts.Add(new Part(InlineData: new InlineData(request.SourceMimeType ?? "image/png", source)));
        }

        var imageConfig = request.AspectRatio is null && request.ImageSize is null
            ? null
            : new ImageConfig(request.AspectRatio, request.ImageSize);
        return new GenerateContentRequest(
            [new Content(parts, "user")],
            new GenerationConfig(["IMAGE"], imageConfig));
    }

    private static GeminiImage ReadImage(GenerateContentResponse response, string model)
    {
        var candidates = response.Candidates ?? [];
        var image = candidates
            .SelectMany(c => c.Content?.Parts ?? [])
            .FirstOrDefault(p => p.Thought != true && p.InlineData?.MimeType.StartsWith("image/", StringComparison.Ordinal) == true)
            ?.InlineData;
        if (image is not null)
        {
            return new GeminiImage(image.Data, image.MimeType, response.ModelVersion ?? "", response.UsageMetadata, model);
        }

        ThrowIfRefused(response, "image");
        // Models sometimes answer in text only; another try often draws, a third rarely does.
        throw new GeminiException(GeminiErrorCodes.NoImage, "Gemini answered without an image.",
            isTransient: true, httpStatus: 200, maxRetries: 1);
    }

    private static GeminiText ReadText(GenerateContentResponse response, string model)
    {
        var text = string.Concat((response.Candidates ?? [])
            .SelectMany(c => c.Content?.Parts ?? [])
            .Where(p => p.Thought != true && !string.IsNullOrEmpty(p.Text))
            .Select(p => p.Text)).Trim();
        if (text.Length > 0)
        {
            return new GeminiText(text, response.ModelVersion ?? "", response.UsageMetadata, model);
        }

        ThrowIfRefused(response, "text");
        throw new GeminiException(GeminiErrorCodes.NoText, "Gemini answered without text.", isTransient: true, httpStatus: 200, maxRetries: 1);
    }

    /// <summary>A blocked prompt or a refusing finish reason (a safety block), which no retry changes.</summary>
    private static void ThrowIfRefused(GenerateContentResponse response, string wanted)
    {
        if (response.PromptFeedback?.BlockReason is { Length: > 0 } blockReason)
        {
            throw new GeminiException(blockReason, $"Gemini blocked the prompt: {blockReason}.", isTransient: false, httpStatus: 200);
        }

        var refusal = (response.Candidates ?? []).Select(c => c.FinishReason).FirstOrDefault(r => r is not null && !PlainFinishReasons.Contains(r));
        if (refusal is not null)
        {
            throw new GeminiException(refusal, $"Gemini returned no {wanted}: finish reason {refusal}.", isTransient: false, httpStatus: 200);
        }
    }

    /// <param name="callTimeout">The call's own deadline; <see cref="GeminiOptions.CallTimeout"/> when null.</param>
    private Task<T> SendAsync<T>(HttpRequestMessage message, JsonTypeInfo<T> responseType, CancellationToken ct, TimeSpan? callTimeout = null) =>
        SendAsync(message, async (response, token) => await response.Content.ReadFromJsonAsync(responseType, token)
            ?? throw new GeminiException(GeminiErrorCodes.BadResponse, "Gemini answered with an empty body.",
                isTransient: true, httpStatus: (int)response.StatusCode, maxRetries: 1), ct, callTimeout);

    /// <summary>One call, its successful answer read by <paramref name="read"/> (body included) within the call's deadline.</summary>
    private async Task<T> SendAsync<T>(
        HttpRequestMessage message, Func<HttpResponseMessage, CancellationToken, Task<T>> read, CancellationToken ct, TimeSpan? callTimeout = null)
    {
        // The key goes to Gemini's base URL only, not to a URL an answer handed over (an upload session's).
        if (message.RequestUri is { IsAbsoluteUri: false } || (message.RequestUri is { } uri && http.BaseAddress?.IsBaseOf(uri) == true))
        {
            message.Headers.Add(ApiKeyHeader, _options.ApiKey);
        }

        // Our own deadline, so a server that accepts and never answers cannot hold the caller.
        var timeout = callTimeout ?? _options.CallTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        var started = Stopwatch.GetTimestamp();
        try
        {
            // Headers first: a responses file is read as it arrives, still within the deadline.
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            logger.LogDebug("Gemini {Method} {Path} answered {Status} in {ElapsedMs} ms",
                message.Method, message.RequestUri?.OriginalString, (int)response.StatusCode,
                (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (!response.IsSuccessStatusCode)
            {
                throw await ReadErrorAsync(response, deadline.Token);
            }

            return await read(response, deadline.Token);
        }
        catch (OperationCanceledException ex) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new GeminiException(GeminiErrorCodes.Timeout,
                $"Gemini did not answer within {timeout.TotalSeconds:0.###} s.", isTransient: true, innerException: ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new GeminiException(GeminiErrorCodes.Network, $"Gemini could not be reached: {Scrub(ex.Message)}",
                isTransient: true, innerException: ex);
        }
        catch (JsonException ex)
        {
            throw new GeminiException(GeminiErrorCodes.BadResponse, $"Gemini's answer was not the expected JSON: {ex.Message}",
                isTransient: true, httpStatus: 200, maxRetries: 1, innerException: ex);
        }
    }

    private async Task<GeminiException> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        ErrorStatus? error = null;
        try
        {
            error = (await response.Content.ReadFromJsonAsync(GeminiJsonContext.Default.ErrorEnvelope, ct))?.Error;
        }
        catch (JsonException)
        {
            // A proxy's HTML page or an empty body: the status alone classifies it.
        }

        var details = error?.Details ?? [];
        var reason = details.FirstOrDefault(d => d.Type == ErrorDetail.ErrorInfoType)?.Reason;
        var code = reason == GeminiErrorCodes.ApiKeyInvalid
            ? reason
            : error?.Status ?? GeminiErrorCodes.FromHttpStatus(status);
        var retryAfter = Max(
            ParseDuration(details.FirstOrDefault(d => d.Type == ErrorDetail.RetryInfoType)?.RetryDelay),
            RetryAfterHeader(response));
        var text = error?.Message is { Length: > 0 } m ? $": {Scrub(m)}" : ".";

        var quota = Quota(details);
        if ((status == 429 || code == GeminiErrorCodes.ResourceExhausted) && quota is { Daily: true, Id: var dailyQuota })
        {
            // RetryInfo is kept for the record, but a per-day quota does not come back within any retry's reach.
            return new GeminiException(GeminiErrorCodes.QuotaExhaustedDaily,
                $"Gemini's daily quota {dailyQuota} is used up until its reset at midnight Pacific time (HTTP {status} {code}){text}",
                isTransient: false, status, retryAfter, quotaId: dailyQuota);
        }

        return new GeminiException(code, $"Gemini answered HTTP {status} {code}{text}",
            GeminiErrorCodes.IsTransientStatus(status), status, retryAfter, quotaId: quota?.Id);
    }

    /// <summary>The quota a QuotaFailure detail names, preferring a per-day one (it decides the outcome).</summary>
    private static (string Id, bool Daily)? Quota(IReadOnlyList<ErrorDetail> details)
    {
        var violations = details.Where(d => d.Type == ErrorDetail.QuotaFailureType).SelectMany(d => d.Violations ?? []).ToList();
        if (violations.Count == 0)
        {
            return null;
        }

        var daily = violations.FirstOrDefault(v => Names(v, GeminiQuotas.IsPerDay));
        var chosen = daily ?? violations.FirstOrDefault(v => Names(v, GeminiQuotas.IsPerMinute)) ?? violations[0];
        return (chosen.QuotaId ?? chosen.QuotaMetric ?? chosen.Subject ?? "(unnamed)", daily is not null);
    }

    private static bool Names(QuotaViolation violation, Func<string?, bool> window) =>
        window(violation.QuotaId) || window(violation.QuotaMetric);

    // Google writes durations as decimal seconds with an "s" suffix ("7s", "0.5s").
    private static TimeSpan? ParseDuration(string? value) =>
        value is [.. var number, 's'] && double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0
            ? TimeSpan.FromSeconds(seconds)
            : null;

    private static TimeSpan? RetryAfterHeader(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    private static TimeSpan? Max(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a > b ? a : b;

    // Error text comes from the server or the network stack; make sure the key never rides along.
    private string Scrub(string text) =>
        string.IsNullOrEmpty(_options.ApiKey) ? text : text.Replace(_options.ApiKey, "***", StringComparison.Ordinal);
}
