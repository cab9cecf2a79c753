using ImageBus.Webhooks;

namespace ImageBus.Gateway.Webhooks;

/// <summary>Body of <c>POST /v1/webhooks/endpoints</c>. <see cref="EventTypes"/> null or empty: every type.</summary>
public sealed record CreateWebhookEndpointRequest(
    string Url, string? Description = null, IReadOnlyList<string>? EventTypes = null, bool Enabled = true);

/// <summary>Body of <c>PATCH /v1/webhooks/endpoints/{id}</c>: only what is given changes. Enabling clears the
/// reason it was disabled; an empty <see cref="EventTypes"/> list means every type again.</summary>
public sealed record UpdateWebhookEndpointRequest(
    string? Url = null, string? Description = null, IReadOnlyList<string>? EventTypes = null, bool? Enabled = null);

public sealed record WebhookEndpointResponse(
    Guid Id,
    string Url,
    string? Description,
    IReadOnlyList<string>? EventTypes,
    bool Enabled,
    string? DisabledReason,
    DateTimeOffset? FailingSince,
    DateTimeOffset? PreviousSecretExpiresAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static WebhookEndpointResponse From(WebhookEndpoint e) => new(
        e.Id, e.Url, e.Description, e.EventTypes, e.Enabled, e.DisabledReason, e.FailingSince, e.PreviousSecretExpiresAt,
        e.CreatedAt, e.UpdatedAt);
}

/// <summary>Answer of creating an endpoint: the only time its secret is shown.</summary>
public sealed record CreatedWebhookEndpointResponse(WebhookEndpointResponse Endpoint, string Secret);

/// <summary>A new signing secret; the one it replaces still signs (a second signature) until
/// <see cref="PreviousSecretExpiresAt"/>.</summary>
public sealed record WebhookSecretResponse(string Secret, DateTimeOffset? PreviousSecretExpiresAt);

public sealed record WebhookDeliveryResponse(
    Guid Id,
    Guid JobId,
    long Sequence,
    string EventType,
    string Status,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    int? LastStatusCode,
    string? LastError,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt,
    IReadOnlyList<WebhookAttemptResponse> AttemptLog)
{
    public static WebhookDeliveryResponse From(WebhookDelivery d) => new(
        d.Id, d.JobId, d.Sequence, d.EventType, d.Status, d.Attempts, d.NextAttemptAt, d.LastStatusCode, d.LastError,
        d.CreatedAt, d.FinishedAt,
        [.. d.AttemptLog.OrderBy(a => a.Id).Select(a => new WebhookAttemptResponse(a.AttemptedAt, a.StatusCode, a.DurationMs, a.Error))]);
}

public sealed record WebhookAttemptResponse(DateTimeOffset AttemptedAt, int? StatusCode, int DurationMs, string? Error);

/// <summary>Answer of recovering an endpoint: how many deliveries were queued again.</summary>
public sealed record RecoverDeliveriesResponse(int Requeued);
