using System.Text.Json;

namespace ImageBus.Operations.DeadLetters;

/// <summary>Failed messages that are the same problem (see <see cref="FailureGroups"/>), still waiting for a retry or delete.</summary>
public sealed record DeadLetterGroup(
    string GroupId, string ExceptionType, string Message, string? MessageType, int Count, IReadOnlyList<string> Queues,
    DateTimeOffset FirstAt, DateTimeOffset LastAt);

/// <summary>One failed message as listed.</summary>
public record DeadLetterItem(
    Guid Id, string GroupId, string ErrorQueue, string SourceQueue, string? MessageType, Guid? MessageId, Guid? JobId, string? TenantId,
    string ExceptionType, string ExceptionMessage, string? StackTrace, string? ConsumerType, string? Host, DateTimeOffset FaultedAt,
    int RetryCount, string Status, DateTimeOffset CollectedAt)
{
    public static DeadLetterItem From(FailedMessage m) => new(
        m.Id, m.GroupId, m.ErrorQueue, m.SourceQueue, m.MessageType, m.MessageId, m.JobId, m.TenantId, m.ExceptionType,
        m.ExceptionMessage, m.StackTrace, m.ConsumerType, m.Host, m.FaultedAt, m.RetryCount, m.Status, m.CollectedAt);
}

/// <summary>One failed message with its headers and body (as text; bodies are MassTransit's JSON).</summary>
public sealed record DeadLetterDetail(
    Guid Id, string GroupId, string ErrorQueue, string SourceQueue, string? MessageType, Guid? MessageId, Guid? JobId, string? TenantId,
    string ExceptionType, string ExceptionMessage, string? StackTrace, string? ConsumerType, string? Host, DateTimeOffset FaultedAt,
    int RetryCount, string Status, DateTimeOffset CollectedAt, JsonElement Headers, string Body)
    : DeadLetterItem(Id, GroupId, ErrorQueue, SourceQueue, MessageType, MessageId, JobId, TenantId, ExceptionType, ExceptionMessage,
        StackTrace, ConsumerType, Host, FaultedAt, RetryCount, Status, CollectedAt)
{
    public static new DeadLetterDetail From(FailedMessage m) => new(
        m.Id, m.GroupId, m.ErrorQueue, m.SourceQueue, m.MessageType, m.MessageId, m.JobId, m.TenantId, m.ExceptionType,
        m.ExceptionMessage, m.StackTrace, m.ConsumerType, m.Host, m.FaultedAt, m.RetryCount, m.Status, m.CollectedAt,
        JsonDocument.Parse(m.Headers).RootElement.Clone(), System.Text.Encoding.UTF8.GetString(m.Body));
}

public sealed record DeadLetterAuditEntry(DateTimeOffset At, string Actor, string Action, string Selector, int Count);

/// <summary>How many messages wait in the dead letters, in how many groups.</summary>
public sealed record DeadLetterCounts(int Failed, int Groups);

/// <summary>Which dead letters an action applies to: exactly one of <see cref="Ids"/>, <see cref="GroupId"/>, <see cref="All"/>.</summary>
public sealed record DeadLetterSelection(IReadOnlyList<Guid>? Ids, string? GroupId, bool? All)
{
    /// <summary>Every problem of the selection, by field; none when it names exactly one way.</summary>
    public IReadOnlyList<(string Field, string Problem)> Problems()
    {
        var problems = new List<(string, string)>();
        var given = (Ids is not null ? 1 : 0) + (GroupId is not null ? 1 : 0) + (All is not null ? 1 : 0);
        if (given != 1)
        {
            problems.Add(("request", given == 0 ? "give one of ids, groupId or all" : "give only one of ids, groupId or all"));
        }

        if (Ids is { Count: 0 })
        {
            problems.Add(("ids", "must name at least one dead letter"));
        }
        else if (Ids is { Count: > DeadLetterStore.MaxIds })
        {
            problems.Add(("ids", $"must name at most {DeadLetterStore.MaxIds} dead letters"));
        }

        if (GroupId is not null && (GroupId.Length is 0 or > 64 || !GroupId.All(char.IsAsciiLetterOrDigit)))
        {
            problems.Add(("groupId", "must be a group id the groups list gave"));
        }

        if (All is false)
        {
            problems.Add(("all", "must be true"));
        }

        return problems;
    }

    /// <summary>As the audit records it: <c>ids</c>, <c>group:{id}</c> or <c>all</c>.</summary>
    public string Describe() => Ids is not null ? "ids" : GroupId is not null ? $"group:{GroupId}" : "all";

    internal IQueryable<FailedMessage> Apply(IQueryable<FailedMessage> messages) =>
        Ids is not null ? messages.Where(m => Ids.Contains(m.Id))
        : GroupId is not null ? messages.Where(m => m.GroupId == GroupId)
        : messages;
}
