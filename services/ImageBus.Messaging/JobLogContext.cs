using System.Reflection;
using ImageBus.Contracts;
using ImageBus.ServiceDefaults;
using MassTransit;
using SerilogContext = Serilog.Context.LogContext;

namespace ImageBus.Messaging;

/// <summary>Puts the job's ids into the log context for every line written while one of its messages is
/// consumed: <c>JobId</c> and <c>TenantId</c> from the message (or the tenant header its sender set),
/// <c>CorrelationId</c> from the envelope.</summary>
sealed class JobLogContextFilter<T> : IFilter<ConsumeContext<T>>
    where T : class
{
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        var (jobId, tenantId) = JobKeys<T>.Of(context.Message);
        tenantId ??= context.Headers.Get<string>(TenantHeader.Name);
        var correlationId = context.CorrelationId ?? context.ConversationId;
        using var job = jobId is { } id ? SerilogContext.PushProperty(LogProperties.JobId, id) : null;
        using var tenant = tenantId is { } name ? SerilogContext.PushProperty(LogProperties.TenantId, name) : null;
        using var correlation = correlationId is { } value ? SerilogContext.PushProperty(LogProperties.CorrelationId, value) : null;
        var outer = TenantHeader.Current.Value;
        TenantHeader.Current.Value = tenantId;
        try
        {
            await next.Send(context);
        }
        finally
        {
            TenantHeader.Current.Value = outer;
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("jobLogContext");
}

/// <summary>Carries the tenant of the message being consumed on to the messages sent or published meanwhile, so
/// results that name only their job (<see cref="ImageGenerated"/>, …) still log their tenant.</summary>
public static class TenantHeader
{
    public const string Name = "ImageBus-TenantId";

    internal static readonly AsyncLocal<string?> Current = new();

    internal static void Stamp(SendContext context)
    {
        if (Current.Value is { } tenant && !context.Headers.TryGetHeader(Name, out _))
        {
            context.Headers.Set(Name, tenant);
        }
    }
}

/// <summary>Where a message type keeps its job id and tenant: <c>JobId</c>/<c>TenantId</c> properties, or those of
/// its <see cref="JobSnapshot"/> (job events). Looked up once per type.</summary>
static class JobKeys<T>
{
    static readonly PropertyInfo? JobId = typeof(T).GetProperty("JobId", typeof(Guid));
    static readonly PropertyInfo? TenantId = typeof(T).GetProperty("TenantId", typeof(string));
    static readonly PropertyInfo? Snapshot = typeof(T).GetProperty("Job", typeof(JobSnapshot));

    public static (Guid? JobId, string? TenantId) Of(T message)
    {
        if (Snapshot?.GetValue(message) is JobSnapshot job)
        {
            return (job.JobId, job.TenantId);
        }

        return ((Guid?)JobId?.GetValue(message), (string?)TenantId?.GetValue(message));
    }
}
