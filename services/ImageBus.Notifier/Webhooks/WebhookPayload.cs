using System.Text.Json.Serialization;
using ImageBus.Contracts;

namespace ImageBus.Notifier.Webhooks;

/// <summary>What a subscriber receives: <c>{type, timestamp, data}</c>.</summary>
public sealed record WebhookPayload(string Type, DateTimeOffset Timestamp, WebhookData Data);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Skip)]
public sealed record WebhookData(
    Guid JobId,
    string TenantId,
    string CaseId,
    string Status,
    long Sequence,
    JobCounts Counts,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] WebhookImage? Image = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<WebhookImage>? Images = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason = null);

/// <summary>One image's result, with the gateway URL it can be fetched from once completed.</summary>
public sealed record WebhookImage(
    string ItemId,
    string Kind,
    string Status,
    int Attempt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Url,
    int? Width,
    int? Height,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ErrorCode,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);
