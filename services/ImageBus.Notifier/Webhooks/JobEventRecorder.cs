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
        // One round trip (record_job_event in ImageBus.Webhooks' schema.sql): lock the job's events, the job's own endpoint,
        // the event, its deliveries, and the pending ones to send.
        return await db.Database.SqlQuery<Guid>($"""
            SELECT delivery AS "Value"
              FROM record_job_event({job.JobId}, {job.Sequence}, {job.TenantId}, {payload.Type}, {payload.ToJson()}::json,
                                    {ownWebhook.Url}, {ownWebhook.Filter}) AS delivery
            """).ToListAsync(cancellationToken);
    }
}
