using Microsoft.EntityFrameworkCore;

namespace ImageBus.Webhooks;

/// <summary>An endpoint with deliveries that failed at least once and are still being retried, or died in the last day.</summary>
public sealed record FailingWebhookEndpoint(Guid EndpointId, string TenantId, string Url, int FailingDeliveries, string? LastError,
    DateTimeOffset? LastAttemptAt);

/// <summary>The webhooks' part of system health, from the delivery log.</summary>
public sealed class WebhookHealth(IDbContextFactory<WebhooksDbContext> contexts, TimeProvider clock)
{
    public async Task<IReadOnlyList<FailingWebhookEndpoint>> FailingEndpointsAsync(CancellationToken cancellationToken)
    {
        var since = clock.GetUtcNow().AddDays(-1);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Database.SqlQuery<FailingRow>($"""
            SELECT e.id AS endpoint_id, e.tenant_id, e.url, count(*)::int AS failing_deliveries,
                   (array_agg(coalesce(d.last_error, 'HTTP ' || d.last_status_code::text) ORDER BY d.created_at DESC))[1] AS last_error,
                   (SELECT max(a.attempted_at) FROM webhook_attempts a JOIN webhook_deliveries ad ON ad.id = a.delivery_id
                    WHERE ad.endpoint_id = e.id) AS last_attempt_at
            FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
            WHERE d.attempts > 0 AND (d.last_status_code IS NULL OR d.last_status_code NOT BETWEEN 200 AND 299)
              AND (d.status = {WebhookDeliveryStatuses.Pending} OR (d.status = {WebhookDeliveryStatuses.Dead} AND d.finished_at >= {since}))
            GROUP BY e.id, e.tenant_id, e.url
            ORDER BY count(*) DESC, e.id
            """).ToListAsync(cancellationToken);
        return [.. rows.Select(r => new FailingWebhookEndpoint(r.EndpointId, r.TenantId, r.Url, r.FailingDeliveries, r.LastError, r.LastAttemptAt))];
    }

    /// <summary>An endpoint's row (snake_case columns).</summary>
    sealed class FailingRow
    {
        public Guid EndpointId { get; set; }
        public string TenantId { get; set; } = "";
        public string Url { get; set; } = "";
        public int FailingDeliveries { get; set; }
        public string? LastError { get; set; }
        public DateTimeOffset? LastAttemptAt { get; set; }
    }
}
