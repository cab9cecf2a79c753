using System.Text.Json;
using ImageBus.Contracts;
using ImageBus.Jobs;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ImageBus.Orchestrator.Jobs;

/// <summary>
/// What reaches the job saga's endpoint as a <see cref="GenerateCaseImages"/> either becomes a job or is answered with
/// <see cref="CaseImagesRejected"/>, never a message in <c>job-state_error</c> while its job looks accepted:
/// <list type="bullet">
/// <item>plain JSON (<c>application/json</c>, no MassTransit envelope, from non-.NET publishers) is read as the command
/// and handed on to the endpoint as an envelope of that one type — offered raw, the endpoint would try the body as each
/// of its message types, a <see cref="CancelCaseImages"/> among them;</item>
/// <item>a command whose fields have the wrong type, raw or in an envelope, is rejected naming the field;</item>
/// <item>a command the database refuses to store (a <c>22xxx</c> data exception) is rejected with that reason, which
/// the gateway's request for it records too, so the status API says rejected.</item>
/// </list>
/// A command without a usable <c>jobId</c> has no one to answer: it faults to <c>_error</c> with the reason.
/// </summary>
sealed class CaseCommandFilter(IDbContextFactory<JobsDbContext> contexts, TimeProvider clock, ILogger<CaseCommandFilter> logger)
    : IFilter<ConsumeContext>
{
    static readonly string CommandType = MessageUrn.ForTypeString<GenerateCaseImages>();

    public async Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        var plain = context.ReceiveContext.ContentType?.MediaType == "application/json"
            && (!context.SupportedMessageTypes.Any() || IsCommand(context));
        if (!plain && !IsCommand(context))
        {
            await next.Send(context);
            return;
        }

        GenerateCaseImages? command;
        try
        {
            command = context.TryGetMessage<GenerateCaseImages>(out var typed) ? typed.Message : null;
        }
        catch (Exception exception) when (JsonProblemOf(exception) is { } json)
        {
            await RejectUnreadableAsync(context, plain, InputText.FromJson(json));
            return;
        }

        if (command is null)
        {
            throw new UnusableCaseCommandException("The body is not a GenerateCaseImages object.");
        }

        if (plain)
        {
            if (command.JobId == Guid.Empty)
            {
                throw new UnusableCaseCommandException(
                    "A plain-JSON GenerateCaseImages needs a jobId (a UUID): its job and its CaseImagesRejected answer are known by it.");
            }

            var endpoint = await context.GetSendEndpoint(context.ReceiveContext.InputAddress);
            await endpoint.Send(command, context.CancellationToken);
            return;
        }

        try
        {
            await next.Send(context);
        }
        catch (Exception exception) when (DataRefusalOf(exception) is { } refusal)
        {
            logger.LogWarning(exception, "The database refused to store job {JobId} of case {CaseId} ({SqlState}); rejecting it",
                command.JobId, InputText.Storable(command.CaseId), refusal.SqlState);
            await RejectAsync(context, command.JobId, command.TenantId, command.CaseId,
                [$"case: could not be stored, the database refused its data ({refusal.SqlState}: {refusal.MessageText})"]);
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("caseCommand");

    static bool IsCommand(ConsumeContext context) =>
        context.SupportedMessageTypes.Contains(CommandType, StringComparer.OrdinalIgnoreCase);

    /// <summary>Answers a command that could not be read with the reader's problem, if it names its job.</summary>
    async Task RejectUnreadableAsync(ConsumeContext context, bool plain, ValidationError problem)
    {
        using var body = JsonDocument.Parse(context.ReceiveContext.Body.GetBytes());
        var message = plain ? body.RootElement : Property(body.RootElement, "message");
        if (Text(message, "jobId") is not { } id || !Guid.TryParse(id, out var jobId) || jobId == Guid.Empty)
        {
            throw new UnusableCaseCommandException(
                $"GenerateCaseImages could not be read ({problem}) and has no usable jobId to answer with CaseImagesRejected.");
        }

        logger.LogWarning("Rejecting job {JobId}: its GenerateCaseImages could not be read ({Problem})", jobId, problem.ToString());
        await RejectAsync(context, jobId, Text(message, "tenantId"), Text(message, "caseId"), [problem.ToString()]);
    }

    async Task RejectAsync(ConsumeContext context, Guid jobId, string? tenantId, string? caseId, IReadOnlyList<string> errors)
    {
        var now = clock.GetUtcNow();
        await using (var db = await contexts.CreateDbContextAsync(context.CancellationToken))
        {
            if (await db.Jobs.AnyAsync(j => j.CorrelationId == jobId, context.CancellationToken))
            {
                // A job of that id exists: this is a bad copy of its command, which changes nothing, as a good one would not.
                logger.LogWarning("Ignoring an unusable repeat of the command of job {JobId}", jobId);
                return;
            }

            await db.JobRequests.Where(r => r.JobId == jobId && r.RejectedReason == null).ExecuteUpdateAsync(r => r
                .SetProperty(x => x.RejectedReason, string.Join("; ", errors))
                .SetProperty(x => x.RejectedAt, now), context.CancellationToken);
        }

        await context.Publish(new CaseImagesRejected(
            jobId, InputText.Storable(tenantId, Identifiers.MaxLength), InputText.Storable(caseId), errors, now), context.CancellationToken);
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

    static string? Text(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    static JsonException? JsonProblemOf(Exception exception) => Find<JsonException>(exception);

    static PostgresException? DataRefusalOf(Exception exception) =>
        Find<PostgresException>(exception) is { } postgres && postgres.SqlState.StartsWith("22", StringComparison.Ordinal) ? postgres : null;

    static T? Find<T>(Exception exception)
        where T : Exception
    {
        for (Exception? inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is T found)
            {
                return found;
            }
        }

        return null;
    }
}

/// <summary>A <see cref="GenerateCaseImages"/> that names no job to answer: it faults, with this reason in its
/// <c>MT-Fault-Message</c> header.</summary>
public sealed class UnusableCaseCommandException(string message) : Exception(message);
