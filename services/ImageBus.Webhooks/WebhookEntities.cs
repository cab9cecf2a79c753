namespace ImageBus.Webhooks;

/// <summary>Where a tenant wants job events POSTed. A job's own webhook URL is an endpoint too, scoped to
/// that job (<see cref="JobId"/> set, id = the job id), so delivery, ordering and the log treat both alike.</summary>
public sealed class WebhookEndpoint
{
    public Guid Id { get; set; }
    public string TenantId { get; set; } = "";

    /// <summary>Set for the implicit endpoint of a job submitted with a webhook URL; null for registered ones.</summary>
    public Guid? JobId { get; set; }

    public string Url { get; set; } = "";
    public string? Description { get; set; }

    /// <summary>Event types (or groups, see <see cref="WebhookEventTypes"/>) to send; null sends every type.</summary>
    public string[]? EventTypes { get; set; }

    public bool Enabled { get; set; } = true;
    public string? DisabledReason { get; set; }

    /// <summary>Null for job endpoints: they are signed with the tenant's <see cref="WebhookTenantSecret"/>.</summary>
    public string? Secret { get; set; }

    public string? PreviousSecret { get; set; }
    public DateTimeOffset? PreviousSecretExpiresAt { get; set; }

    /// <summary>When the current run of failed attempts began; null while the endpoint answers.</summary>
    public DateTimeOffset? FailingSince { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>The secret that signs the job webhooks of one tenant (jobs carrying their own URL).</summary>
public sealed class WebhookTenantSecret
{
    public string TenantId { get; set; } = "";
    public string Secret { get; set; } = "";
    public string? PreviousSecret { get; set; }
    public DateTimeOffset? PreviousSecretExpiresAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>One job event, recorded once, as webhooks and the event stream send it.</summary>
public sealed class JobEventRecord
{
    /// <summary>The PostgreSQL channel every recorded event is announced on (schema.sql), its payload the job id.</summary>
    public const string NotifyChannel = "job_events";

    public Guid JobId { get; set; }
    public long Sequence { get; set; }
    public string TenantId { get; set; } = "";
    public string Type { get; set; } = "";

    /// <summary>The exact JSON body subscribers get.</summary>
    public string Payload { get; set; } = "";

    public DateTimeOffset RecordedAt { get; set; }
}

/// <summary>One job event on its way to one endpoint.</summary>
public sealed class WebhookDelivery
{
    public Guid Id { get; set; }
    public Guid EndpointId { get; set; }
    public Guid JobId { get; set; }
    public long Sequence { get; set; }
    public string EventType { get; set; } = "";

    /// <summary>One of <see cref="WebhookDeliveryStatuses"/>.</summary>
    public string Status { get; set; } = WebhookDeliveryStatuses.Pending;

    /// <summary>Attempts since the delivery was created or last re-queued; picks the next retry delay.</summary>
    public int Attempts { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>While set and in the future, one notifier is POSTing this delivery and no other may.</summary>
    public DateTimeOffset? LeasedUntil { get; set; }

    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    public List<WebhookAttempt> AttemptLog { get; set; } = [];
}

/// <summary>One POST of a delivery, as the delivery log shows it.</summary>
public sealed class WebhookAttempt
{
    public long Id { get; set; }
    public Guid DeliveryId { get; set; }
    public DateTimeOffset AttemptedAt { get; set; }
    public int? StatusCode { get; set; }
    public int DurationMs { get; set; }
    public string? Error { get; set; }
}

public static class WebhookDeliveryStatuses
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Dead = "dead";

    public static IReadOnlyList<string> All { get; } = [Pending, Delivered, Dead];
}
