using System.Collections.Concurrent;
using System.Diagnostics;

namespace ImageBus.FakeGemini;

/// <summary>One request the fake answered, as the request log records it.</summary>
/// <param name="Version">The API version of the path, <c>v1</c> or <c>v1beta</c> ("" outside them).</param>
/// <param name="Model">The model the endpoint noted, "-" for none.</param>
/// <param name="Markers">The prompt's markers as written.</param>
/// <param name="Status">The HTTP status; 499 when the client went away first.</param>
/// <param name="Prompt">A generateContent call's prompt text, cut at <see cref="FakeRequests.PromptLength"/> characters.</param>
/// <param name="InlineData">A generateContent call's inlineData parts (the source images sent with the prompt), in order.</param>
/// <param name="TraceParent">The W3C <c>traceparent</c> header the caller sent, if any: which trace the call belongs to.</param>
/// <param name="ReceivedAt">When the request arrived, for benchmarks that time when calls start.</param>
public sealed record FakeRequest(
    string Method, string Path, string Version, string Model, string Markers, int Status, string Prompt, IReadOnlyList<FakeInlineData> InlineData,
    string? TraceParent = null, DateTimeOffset? ReceivedAt = null);

/// <summary>One inlineData part as received: its media type, its size and the SHA-256 of its bytes (hex, uppercase),
/// so that a test can tell that exactly its bytes arrived without the log holding them.</summary>
public sealed record FakeInlineData(string MimeType, int Length, string Sha256);

/// <summary>The last <see cref="Capacity"/> requests the fake answered, in order, for in-process tests to read
/// (<c>app.Services.GetRequiredService&lt;FakeRequests&gt;()</c>) and for tests of other processes at
/// <c>GET /fake/requests</c>. A request appears once its answer is written, which may be just after the client has read it.</summary>
public sealed class FakeRequests
{
    public const int Capacity = 10_000;
    // Long enough for a staged item's generation prompt, which carries the analysis text.
    public const int PromptLength = 4096;

    private readonly ConcurrentQueue<FakeRequest> _requests = new();

    public IReadOnlyList<FakeRequest> All => [.. _requests];

    /// <summary>The generateContent calls among them.</summary>
    public IReadOnlyList<FakeRequest> GenerateContent =>
        [.. _requests.Where(r => r.Method == "POST" && r.Path.EndsWith(":generateContent", StringComparison.Ordinal))];

    internal void Add(FakeRequest request)
    {
        _requests.Enqueue(request);
        while (_requests.Count > Capacity && _requests.TryDequeue(out _))
        {
        }
    }
}

/// <summary>One log line per request with the model and markers the endpoint noted, the status and the latency; the
/// same into <see cref="FakeRequests"/>.</summary>
internal static class FakeRequestLog
{
    private const string ModelKey = "fake.model";
    private const string MarkersKey = "fake.markers";
    private const string PromptKey = "fake.prompt";
    private const string InlineDataKey = "fake.inline-data";

    public static void Note(HttpContext http, string model, string markers, string prompt = "", IReadOnlyList<FakeInlineData>? inlineData = null)
    {
        http.Items[ModelKey] = model;
        http.Items[MarkersKey] = markers;
        http.Items[PromptKey] = prompt.Length > FakeRequests.PromptLength ? prompt[..FakeRequests.PromptLength] : prompt;
        http.Items[InlineDataKey] = inlineData;
    }

    public static IApplicationBuilder UseFakeRequestLog(this IApplicationBuilder app)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FakeRequestLog).FullName!);
        var requests = app.ApplicationServices.GetRequiredService<FakeRequests>();
        return app.Use(async (http, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            var receivedAt = DateTimeOffset.UtcNow;
            try
            {
                await next(http);
            }
            finally
            {
                // 499 as nginx writes it: the client went away ([fake:hang], or a timeout) before an answer.
                var status = http.RequestAborted.IsCancellationRequested ? 499 : http.Response.StatusCode;
                var model = http.Items[ModelKey] as string ?? "-";
                var markers = http.Items[MarkersKey] as string ?? "";
                logger.LogInformation("{Method} model {Model} markers {Markers} -> {Status} in {LatencyMs} ms",
                    http.Request.Method, model, markers, status, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                var path = http.Request.Path.Value ?? "";
                requests.Add(new FakeRequest(http.Request.Method, path, FakeGeminiEndpoints.VersionOf(path), model, markers, status,
                    http.Items[PromptKey] as string ?? "", http.Items[InlineDataKey] as IReadOnlyList<FakeInlineData> ?? [],
                    http.Request.Headers.TraceParent.FirstOrDefault(), receivedAt));
            }
        });
    }
}
