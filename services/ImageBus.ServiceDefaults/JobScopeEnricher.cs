using Serilog.Core;
using Serilog.Events;

namespace ImageBus.ServiceDefaults;

/// <summary>Adds <c>JobScope</c>, " [job … tenant …]", to events that carry a <c>JobId</c> or <c>TenantId</c>, so
/// the readable text format shows them without an empty bracket on every other line. JSON shows the properties.</summary>
sealed class JobScopeEnricher : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        var job = logEvent.Properties.TryGetValue(LogProperties.JobId, out var jobId) ? $" job {Plain(jobId)}" : "";
        var tenant = logEvent.Properties.TryGetValue(LogProperties.TenantId, out var tenantId) ? $" tenant {Plain(tenantId)}" : "";
        logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("JobScope", job.Length + tenant.Length == 0 ? "" : $" [{(job + tenant).Trim()}]"));
    }

    static string Plain(LogEventPropertyValue value) => value is ScalarValue { Value: { } scalar } ? scalar.ToString() ?? "" : value.ToString();
}

/// <summary>The names of the properties that tie a log line to a job.</summary>
public static class LogProperties
{
    public const string JobId = "JobId";
    public const string TenantId = "TenantId";
    public const string CorrelationId = "CorrelationId";
}
