using System.Text.Json;
using ImageBus.Contracts;
using ImageBus.Jobs;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ImageBus.Orchestrator.Jobs;

/// <summary>
/// On the job saga's error pipe: a <see cref="GenerateCaseImages"/> that failed because a field has the wrong type (raw or
/// in an envelope) or because the database refused its data (<c>22xxx</c>, e.g. a NUL the validation missed) is answered
/// with <see cref="CaseImagesRejected"/> naming the problem — and recorded on the gateway's request for it, so its status
/// says rejected — instead of landing in <c>job-state_error</c> while its job looks accepted. A command without a usable
/// <c>jobId</c> has no one to answer and still goes to <c>_error</c>, the reader's reason in its <c>MT-Fault-Message</c>.
/// </summary>
/// <param name="contexts">The job store, where the gateway's requests are; absent only where the saga runs without one
/// (the in-memory test harness).</param>
sealed class CaseRejectionFilter(TimeProvider clock, ILogger<CaseRejectionFilter> logger, IDbContextFactory<JobsDbContext>? contexts = null)
    : IFilter<ExceptionReceiveContext>
{
    static readonly string CommandType = MessageUrn.ForTypeString<GenerateCaseImages>();

    public async Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        if (Problem(context.Exception) is not { } problem || Command(context) is not { } command)
        {
            await next.Send(context);
            return;
        }

        if (Text(command, "jobId") is not { } id || !Guid.TryParse(id, out var jobId) || jobId == Guid.Empty)
        {
            logger.LogWarning("A GenerateCaseImages without a usable jobId goes to the error queue: {Problem}", problem.ToString());
            await next.Send(context);
            return;
        }

        logger.LogWarning(context.Exception, "Rejecting job {JobId}: {Problem}", jobId, problem.ToString());
        await RejectAsync(context, jobId, Text(command, "tenantId"), Text(command, "caseId"), problem.ToString());
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("caseRejection");

    /// <summary>The caller's problem the exception stands for, if it is one a rejection can name.</summary>
    static ValidationError? Problem(Exception exception)
    {
        for (Exception? inner = exception; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case JsonException json:
                    return InputText.FromJson(json);
                case PostgresException postgres when postgres.SqlState.StartsWith("22", StringComparison.Ordinal):
                    return new("case", $"could not be stored: the database refused its data ({postgres.SqlState}: {postgres.MessageText})");
            }
        }

        return null;
    }

    /// <summary>The command's JSON object, if the message is a <see cref="GenerateCaseImages"/>: plain JSON (unless its
    /// headers name another type) or an envelope of that type.</summary>
    static JsonElement? Command(ExceptionReceiveContext context)
    {
        try
        {
            var root = JsonDocument.Parse(context.Body.GetBytes()).RootElement;
            if (context.ContentType?.MediaType == "application/json")
            {
                var types = context.TransportHeaders.GetMessageTypes();
                return types.Length == 0 || types.Contains(CommandType, StringComparer.OrdinalIgnoreCase) ? root : null;
            }

            return Property(root, "messageType") is { ValueKind: JsonValueKind.Array } named
                && named.EnumerateArray().Any(t => string.Equals(t.GetString(), CommandType, StringComparison.OrdinalIgnoreCase))
                ? Property(root, "message")
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    async Task RejectAsync(ExceptionReceiveContext context, Guid jobId, string? tenantId, string? caseId, string error)
    {
        var now = clock.GetUtcNow();
        if (contexts is not null)
        {
            await using var db = await contexts.CreateDbContextAsync(context.CancellationToken);
            if (await db.Jobs.AnyAsync(j => j.CorrelationId == jobId, context.CancellationToken))
            {
                // A bad copy of a known job's command changes nothing, as a good copy would not.
                logger.LogWarning("Ignoring an unusable repeat of the command of job {JobId}", jobId);
                return;
            }

            await db.JobRequests.Where(r => r.JobId == jobId && r.RejectedReason == null).ExecuteUpdateAsync(r => r
                .SetProperty(x => x.RejectedReason, error)
                .SetProperty(x => x.RejectedAt, now), context.CancellationToken);
        }

        var endpoint = await context.PublishEndpointProvider.GetPublishSendEndpoint<CaseImagesRejected>();
        await endpoint.Send(new CaseImagesRejected(
            jobId, InputText.Storable(tenantId, Identifiers.MaxLength), InputText.Storable(caseId), [error], now), context.CancellationToken);
    }

    static JsonElement Property(JsonElement element, string name)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                // MassTransit reads property names ignoring case; so does this.
                if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    return property.Value;
                }
            }
        }

        return default;
    }

    static string? Text(JsonElement? element, string name) =>
        element is { } value && Property(value, name) is { ValueKind: JsonValueKind.String } text ? text.GetString() : null;
}
