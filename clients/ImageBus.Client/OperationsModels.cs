namespace ImageBus.Client;

// The operations API's bodies as its specification gives them (dead letters and system health, admin keys only).

public sealed record DeadLetterGroup(
    string GroupId, string ExceptionType, string Message, string? MessageType, int Count, IReadOnlyList<string> Queues,
    DateTimeOffset FirstAt, DateTimeOffset LastAt);

public sealed record DeadLetterGroupList(IReadOnlyList<DeadLetterGroup> Groups);

public sealed record DeadLetter(
    Guid Id, string GroupId, string ErrorQueue, string SourceQueue, string? MessageType, Guid? MessageId, Guid? JobId, string? TenantId,
    string ExceptionType, string ExceptionMessage, string? StackTrace, string? ConsumerType, string? Host, DateTimeOffset FaultedAt,
    int RetryCount, string Status, DateTimeOffset CollectedAt, IReadOnlyDictionary<string, object?>? Headers = null, string? Body = null);

public sealed record DeadLetterPage(IReadOnlyList<DeadLetter> Items, string? NextCursor);

/// <summary>Which dead letters to retry or delete: exactly one of ids, a group, or all.</summary>
public sealed record DeadLetterSelector(IReadOnlyList<Guid>? Ids = null, string? GroupId = null, bool? All = null)
{
    public static DeadLetterSelector Of(params Guid[] ids) => new(Ids: ids);
    public static DeadLetterSelector Group(string groupId) => new(GroupId: groupId);
    public static DeadLetterSelector Everything { get; } = new(All: true);
}

public sealed record DeadLettersRetried(int Retried);

public sealed record DeadLettersDeleted(int Deleted);

public sealed record DeadLetterAuditEntry(DateTimeOffset At, string Actor, string Action, string Selector, int Count);

public sealed record DeadLetterAudit(IReadOnlyList<DeadLetterAuditEntry> Entries);

public sealed record QueueHealth(string Name, long Ready, long Unacked, long Consumers, long Error, long Skipped);

public sealed record DurationPercentiles(double? P50, double? P95, int Count);

public sealed record FailureWindow(int Total, int Failed, double Rate, IReadOnlyDictionary<string, int> ByErrorCode);

public sealed record Failures(FailureWindow LastHour, FailureWindow LastDay);

public sealed record StuckJob(Guid JobId, string TenantId, string Status, DateTimeOffset? DeadlineAt, double OverdueSeconds, string Reason);

public sealed record StuckJobs(int Count, IReadOnlyList<StuckJob> Jobs);

/// <summary><see cref="RequestsPerMinute"/> is null until a worker reported its budget.</summary>
public sealed record GeminiBudget(long CallsLastMinute, int? RequestsPerMinute, long RateLimitedLastHour);

public sealed record FailingWebhookEndpoint(
    Guid EndpointId, string TenantId, string Url, int FailingDeliveries, string? LastError, DateTimeOffset? LastAttemptAt);

public sealed record DeadLetterCounts(int Failed, int Groups);

public sealed record SystemHealth(
    DateTimeOffset GeneratedAt, IReadOnlyList<QueueHealth> Queues, string? QueuesError, IReadOnlyDictionary<string, long> JobsByState,
    DurationPercentiles ImageDurationMs, DurationPercentiles JobDurationMs, Failures Failures, StuckJobs Stuck, GeminiBudget GeminiBudget,
    IReadOnlyList<FailingWebhookEndpoint> FailingWebhookEndpoints, DeadLetterCounts DeadLetters);
