using System.Diagnostics;

namespace ImageBus.FakeGemini;

/// <summary>One log line per request with the model and markers the endpoint noted, the status and the latency.</summary>
internal static class FakeRequestLog
{
    private const string ModelKey = "fake.model";
    private const string MarkersKey = "fake.markers";

    public static void Note(HttpContext http, string model, string markers)
    {
        http.Items[ModelKey] = model;
        http.Items[MarkersKey] = markers;
    }

    public static IApplicationBuilder UseFakeRequestLog(this IApplicationBuilder app)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FakeRequestLog).FullName!);
        return app.Use(async (http, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await next(http);
            }
            finally
            {
                // 499 as nginx writes it: the client went away ([fake:hang], or a timeout) before an answer.
                var status = http.RequestAborted.IsCancellationRequested ? 499 : http.Response.StatusCode;
                logger.LogInformation("{Method} model {Model} markers {Markers} -> {Status} in {LatencyMs} ms",
                    http.Request.Method, http.Items[ModelKey] ?? "-", http.Items[MarkersKey] ?? "",
                    status, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        });
    }
}
