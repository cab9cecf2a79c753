using System.Diagnostics.Metrics;
using MassTransit;

namespace ImageBus.Worker;

/// <summary>The worker's meter: how long an image takes from the worker taking its command to its result
/// (<c>imagebus.image.duration</c>, by outcome: <c>completed</c> or the error code), and how long calls wait for the
/// shared Gemini budget (<c>imagebus.gemini.budget.wait</c>).</summary>
public static class WorkerMetrics
{
    public const string MeterName = "ImageBus.Worker";

    static readonly Meter Meter = new(MeterName);

    static readonly Histogram<double> ImageDuration = Meter.CreateHistogram<double>(
        "imagebus.image.duration", "s", "From a worker receiving GenerateImage to its result, by outcome");

    public static readonly Histogram<double> BudgetWait = Meter.CreateHistogram<double>(
        "imagebus.gemini.budget.wait", "s", "How long a Gemini call waited for a slot of the shared budget");

    public static void ImageDone(ConsumeContext context, string outcome) =>
        ImageDuration.Record(context.ReceiveContext.ElapsedTime.TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));
}
