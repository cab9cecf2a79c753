using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ImageBus.Gemini;

/// <summary>Gemini calls as spans (one per generation, its HTTP calls inside) and as metric
/// <c>imagebus.gemini.calls</c> by model and result (<c>ok</c> or the <see cref="GeminiException.ErrorCode"/>).</summary>
public static class GeminiTelemetry
{
    public const string SourceName = "ImageBus.Gemini";

    public const string CallsInstrument = "imagebus.gemini.calls";

    public static readonly ActivitySource Source = new(SourceName);

    static readonly Meter Meter = new(SourceName);

    static readonly Counter<long> Calls = Meter.CreateCounter<long>(
        CallsInstrument, "{call}", "Gemini generateContent calls by model and result (ok or the error code)");

    internal static void Called(string model, string result) =>
        Calls.Add(1, new KeyValuePair<string, object?>("model", model), new KeyValuePair<string, object?>("result", result));
}
