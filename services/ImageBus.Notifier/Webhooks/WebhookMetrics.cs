using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ImageBus.Notifier.Webhooks;

/// <summary>Metric <c>imagebus.webhook.attempts</c>: every POST by result (<c>delivered</c>, <c>http_4xx</c>, <c>http_5xx</c>,
/// <c>refused</c> by the outbound address guard, <c>error</c> for timeouts and network failures) and what became of the
/// delivery (<c>delivered</c>, <c>pending</c> for a retry, <c>dead</c>); <c>imagebus.webhook.duration</c>: how long the POST took.</summary>
static class WebhookMetrics
{
    public const string MeterName = "ImageBus.Notifier";

    static readonly Meter Meter = new(MeterName);

    static readonly Counter<long> Attempts = Meter.CreateCounter<long>("imagebus.webhook.attempts", "{attempt}", "Webhook POSTs by result");

    static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("imagebus.webhook.duration", "s", "How long a webhook POST took");

    public static void Attempted(PostOutcome outcome, string deliveryStatus)
    {
        var result = outcome switch
        {
            { Succeeded: true } => "delivered",
            { Refused: true } => "refused",
            { StatusCode: >= 500 } => "http_5xx",
            { StatusCode: not null } => "http_4xx",
            _ => "error",
        };
        var tags = new TagList { { "result", result }, { "delivery_status", deliveryStatus } };
        Attempts.Add(1, tags);
        Duration.Record(outcome.Duration.TotalSeconds, tags);
    }
}
