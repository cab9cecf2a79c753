using ImageBus.Persistence;
using ImageBus.Webhooks;
using Microsoft.EntityFrameworkCore;

namespace ImageBus.Notifier.Webhooks;

/// <summary>Whether a delivery may be sent now, and if not, whether to look again later.</summary>
public abstract record DeliveryTurn
{
    /// <summary>Its turn: claim and send it.</summary>
    public sealed record Ready : DeliveryTurn;

    /// <summary>Finished, stale (a newer retry is scheduled), or behind an earlier pending delivery of the
    /// same endpoint and job, which sends for it when it ends.</summary>
    public sealed record NotNow : DeliveryTurn;

    /// <summary>Held by another notifier, or waiting for earlier events of its job: look again then.</summary>
    public sealed record LookAgainAt(DateTimeOffset At) : DeliveryTurn;
}

/// <summary>What sending one claimed delivery needs.</summary>
public sealed record DeliveryWork(
    Guid DeliveryId, Guid EndpointId, Guid JobId, long Sequence, string EventType, int Attempts,
    string Url, bool EndpointEnabled, string Payload, IReadOnlyList<string> Secrets);

/// <summary>The delivery log in PostgreSQL: turns, claims (leases) and attempts. Row times come from the
/// database clock, so several notifiers agree on them.</summary>
public sealed class WebhookDeliveryStore(IDbContextFactory<WebhooksDbContext> contexts)
{
    /// <summary>A scheduled message may fire a little before the time the row was given.</summary>
    static readonly TimeSpan EarlyArrival = TimeSpan.FromSeconds(1);

    public async Task<DeliveryTurn> TurnOfAsync(Guid deliveryId, TimeSpan missingEventWait, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Database.SqlQuery<TurnRow>($"""
            SELECT d.status, d.leased_until, d.next_attempt_at, d.created_at, now() AS now,
                   EXISTS (SELECT 1 FROM webhook_deliveries e
                           WHERE e.endpoint_id = d.endpoint_id AND e.job_id = d.job_id AND e.sequence < d.sequence
                             AND e.status = 'pending') AS earlier_pending,
                   (SELECT count(*) FROM job_events ev WHERE ev.job_id = d.job_id AND ev.sequence < d.sequence)
                       >= d.sequence - 1 AS earlier_events_recorded
            FROM webhook_deliveries d WHERE d.id = {deliveryId}
            """).SingleOrDefaultAsync(cancellationToken);
        return row switch
        {
            null or { Status: not WebhookDeliveryStatuses.Pending } => new DeliveryTurn.NotNow(),
            { LeasedUntil: { } leasedUntil } when leasedUntil > row.Now => new DeliveryTurn.LookAgainAt(leasedUntil),
            _ when row.NextAttemptAt > row.Now + EarlyArrival => new DeliveryTurn.NotNow(),
            { EarlierPending: true } => new DeliveryTurn.NotNow(),
            // Sequences of a job start at 1 without gaps: a missing one is still on its way (events of a job
            // may be consumed out of order), unless it has been missing for too long.
            { EarlierEventsRecorded: false } when row.CreatedAt + missingEventWait > row.Now =>
                new DeliveryTurn.LookAgainAt(row.CreatedAt + missingEventWait),
            _ => new DeliveryTurn.Ready(),
        };
    }

    /// <summary>Takes the delivery for one POST; false when another notifier holds it.</summary>
    public async Task<bool> TryClaimAsync(Guid deliveryId, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var claimed = await db.Database.ExecuteSqlAsync($"""
            UPDATE webhook_deliveries SET leased_until = now() + {lease}
            WHERE id = {deliveryId} AND status = 'pending' AND (leased_until IS NULL OR leased_until < now())
            """, cancellationToken);
        return claimed == 1;
    }

    public async Task<DeliveryWork> LoadAsync(Guid deliveryId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var delivery = await db.WebhookDeliveries.AsNoTracking().SingleAsync(d => d.Id == deliveryId, cancellationToken);
        var endpoint = await db.WebhookEndpoints.AsNoTracking().SingleAsync(e => e.Id == delivery.EndpointId, cancellationToken);
        var payload = await db.JobEvents.AsNoTracking()
            .Where(e => e.JobId == delivery.JobId && e.Sequence == delivery.Sequence)
            .Select(e => e.Payload)
            .SingleAsync(cancellationToken);

        // A job's own webhook is signed with its tenant's secret, if the tenant made one; unsigned otherwise.
        var signing = endpoint.JobId is null
            ? (endpoint.Secret, endpoint.PreviousSecret, endpoint.PreviousSecretExpiresAt)
            : await db.WebhookTenantSecrets.AsNoTracking()
                .Where(s => s.TenantId == endpoint.TenantId)
                .Select(s => new ValueTuple<string?, string?, DateTimeOffset?>(s.Secret, s.PreviousSecret, s.PreviousSecretExpiresAt))
                .SingleOrDefaultAsync(cancellationToken);
        return new DeliveryWork(
            delivery.Id, endpoint.Id, delivery.JobId, delivery.Sequence, delivery.EventType, delivery.Attempts,
            endpoint.Url, endpoint.Enabled, payload,
            WebhookSecrets.Active(signing.Item1, signing.Item2, signing.Item3, now));
    }

    /// <summary>Ends a delivery without a POST (its endpoint is disabled).</summary>
    public async Task AbandonAsync(Guid deliveryId, string reason, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync($"""
            UPDATE webhook_deliveries SET status = 'dead', leased_until = NULL, last_error = {reason}, finished_at = now()
            WHERE id = {deliveryId}
            """, cancellationToken);
    }

    /// <summary>Logs the attempt, moves the delivery on (<paramref name="status"/>, retry after
    /// <paramref name="retryIn"/>) and the endpoint's health with it. Answers why the endpoint was
    /// disabled, when this attempt disabled it.</summary>
    public async Task<string?> RecordAttemptAsync(
        DeliveryWork work, DateTimeOffset attemptedAt, PostOutcome outcome, string status, TimeSpan? retryIn,
        TimeSpan disableAfter, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, duration_ms, error)
            VALUES ({work.DeliveryId}, {attemptedAt}, {outcome.StatusCode}, {(int)outcome.Duration.TotalMilliseconds}, {outcome.Error})
            """, cancellationToken);
        await db.Database.ExecuteSqlAsync($"""
            UPDATE webhook_deliveries
            SET status = {status}, attempts = attempts + 1, next_attempt_at = now() + {retryIn ?? TimeSpan.Zero},
                leased_until = NULL, last_status_code = {outcome.StatusCode}, last_error = {outcome.Error},
                finished_at = CASE WHEN {status} = 'pending' THEN NULL ELSE now() END
            WHERE id = {work.DeliveryId}
            """, cancellationToken);

        string? disabledFor = null;
        if (outcome.Succeeded)
        {
            await db.Database.ExecuteSqlAsync(
                $"UPDATE webhook_endpoints SET failing_since = NULL WHERE id = {work.EndpointId} AND failing_since IS NOT NULL",
                cancellationToken);
        }
        else
        {
            await db.Database.ExecuteSqlAsync(
                $"UPDATE webhook_endpoints SET failing_since = {attemptedAt} WHERE id = {work.EndpointId} AND failing_since IS NULL",
                cancellationToken);
            var reason = outcome.StatusCode == 410
                ? "the endpoint answered 410 Gone"
                : $"every attempt has failed for longer than {disableAfter}";
            var disabled = await db.Database.ExecuteSqlAsync($"""
                UPDATE webhook_endpoints SET enabled = false, disabled_reason = {reason}, updated_at = now()
                WHERE id = {work.EndpointId} AND enabled AND ({outcome.StatusCode} = 410 OR failing_since <= now() - {disableAfter})
                """, cancellationToken);
            disabledFor = disabled == 1 ? reason : null;
        }

        await transaction.CommitAsync(cancellationToken);
        return disabledFor;
    }

    /// <summary>The earliest pending delivery of the endpoint and job, whose turn it is once the one before ends.</summary>
    public async Task<(Guid Id, TimeSpan DueIn)?> NextPendingAsync(Guid endpointId, Guid jobId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var next = await db.Database.SqlQuery<NextRow>($"""
            SELECT id, greatest(next_attempt_at - now(), interval '0') AS due_in
            FROM webhook_deliveries
            WHERE endpoint_id = {endpointId} AND job_id = {jobId} AND status = 'pending'
            ORDER BY sequence LIMIT 1
            """).SingleOrDefaultAsync(cancellationToken);
        return next is null ? null : (next.Id, next.DueIn);
    }

    // Result rows map by the snake_case naming convention, like the entities.
    sealed class TurnRow
    {
        public string Status { get; set; } = "";
        public DateTimeOffset? LeasedUntil { get; set; }
        public DateTimeOffset NextAttemptAt { get; set; }
        public DateTimeOffset CreatedAt { get; set; }
        public DateTimeOffset Now { get; set; }
        public bool EarlierPending { get; set; }
        public bool EarlierEventsRecorded { get; set; }
    }

    sealed class NextRow
    {
        public Guid Id { get; set; }
        public TimeSpan DueIn { get; set; }
    }
}
