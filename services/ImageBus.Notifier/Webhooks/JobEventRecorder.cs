using ImageBus.Contracts;
using ImageBus.Persistence;
using ImageBus.Tenants;
using ImageBus.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ImageBus.Notifier.Webhooks;

/// <summary>Records a job event once (job_events) and creates its deliveries, one per matching enabled
/// endpoint (webhook_deliveries, unique per endpoint, job and sequence), so a redelivered event changes nothing.</summary>
public sealed class JobEventRecorder(
    IDbContextFactory<WebhooksDbContext> contexts, IOptions<WebhookDeliveryOptions> options, ImageUrlSigner signer)
{
    /// <summary>Records the event and answers the pending deliveries it made (again, if it was recorded
    /// before but its deliveries may not have been sent).</summary>
    public async Task<IReadOnlyList<Guid>> RecordAsync(IJobEvent jobEvent, CancellationToken cancellationToken)
    {
        var job = jobEvent.Job;
        var payload = WebhookPayload.For(jobEvent, options.Value.GatewayBaseUrl, await signer.CurrentAsync(cancellationToken));
        var ownWebhook = jobEvent is JobAccepted { WebhookUrl: { } url } accepted ? (Url: url, Filter: WebhookEventTypes.Expand(accepted.WebhookEvents)) : default;

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            // One job's events are recorded one at a time, on any number of notifiers: the job's own endpoint
            // (created with job.accepted) and an event consumed before it then always see each other.
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({job.JobId.ToString()}, 0))", cancellationToken);
            if (ownWebhook.Url is not null)
            {
                await db.Database.ExecuteSqlAsync($"""
                    INSERT INTO webhook_endpoints (id, tenant_id, job_id, url, event_types, enabled, created_at, updated_at)
                    VALUES ({job.JobId}, {job.TenantId}, {job.JobId}, {ownWebhook.Url}, {ownWebhook.Filter}, true, now(), now())
                    ON CONFLICT (id) DO NOTHING
                    """, cancellationToken);
            }

            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO job_events (job_id, sequence, tenant_id, type, payload, recorded_at)
                VALUES ({job.JobId}, {job.Sequence}, {job.TenantId}, {payload.Type}, {payload.ToJson()}::json, now())
                ON CONFLICT (job_id, sequence) DO NOTHING
                """, cancellationToken);

            // This event to every matching endpoint of the tenant and the job; and, when the job's own endpoint
            // was created just now, the job's events recorded before it to that endpoint too.
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO webhook_deliveries (id, endpoint_id, job_id, sequence, event_type, status, attempts, next_attempt_at, created_at)
                SELECT gen_random_uuid(), e.id, ev.job_id, ev.sequence, ev.type, 'pending', 0, now(), now()
                FROM job_events ev
                JOIN webhook_endpoints e ON e.enabled AND (e.job_id = ev.job_id OR (e.job_id IS NULL AND e.tenant_id = ev.tenant_id))
                WHERE ev.job_id = {job.JobId}
                  AND (ev.sequence = {job.Sequence} OR e.job_id = ev.job_id)
                  AND (e.event_types IS NULL OR ev.type = ANY (e.event_types))
                ON CONFLICT (endpoint_id, job_id, sequence) DO NOTHING
                """, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        return await db.WebhookDeliveries.AsNoTracking()
            .Where(d => d.JobId == job.JobId && d.Status == WebhookDeliveryStatuses.Pending && d.Attempts == 0 && d.LeasedUntil == null)
            .Where(d => d.Sequence == job.Sequence || (ownWebhook.Url != null && d.EndpointId == job.JobId))
            .Select(d => d.Id)
            .ToListAsync(cancellationToken);
    }
}
