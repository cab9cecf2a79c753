-- Tables owned by ImageBus.Webhooks: endpoints (a job's own webhook URL is an endpoint row with
-- job_id set), tenant secrets, every job event recorded once (for the event stream and replay), and
-- the delivery log. Idempotent; applied at start-up (ImageBus.Persistence.DatabaseSchema).

CREATE TABLE IF NOT EXISTS webhook_endpoints (
    id                         uuid PRIMARY KEY,
    tenant_id                  text        NOT NULL,
    job_id                     uuid        NULL,
    url                        text        NOT NULL,
    description                text        NULL,
    event_types                text[]      NULL,
    enabled                    boolean     NOT NULL,
    disabled_reason            text        NULL,
    secret                     text        NULL,
    previous_secret            text        NULL,
    previous_secret_expires_at timestamptz NULL,
    failing_since              timestamptz NULL,
    created_at                 timestamptz NOT NULL,
    updated_at                 timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_webhook_endpoints_tenant ON webhook_endpoints (tenant_id) WHERE job_id IS NULL;
CREATE INDEX IF NOT EXISTS ix_webhook_endpoints_job ON webhook_endpoints (job_id) WHERE job_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS webhook_tenant_secrets (
    tenant_id                  text PRIMARY KEY,
    secret                     text        NOT NULL,
    previous_secret            text        NULL,
    previous_secret_expires_at timestamptz NULL,
    created_at                 timestamptz NOT NULL,
    updated_at                 timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS job_events (
    job_id      uuid        NOT NULL,
    sequence    bigint      NOT NULL,
    tenant_id   text        NOT NULL,
    type        text        NOT NULL,
    payload     json        NOT NULL,
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (job_id, sequence)
);

-- Every recorded event is announced on channel job_events (payload: the job id) when its transaction commits, so event
-- streams wake up at once instead of polling (JobEventRecord.NotifyChannel).
CREATE OR REPLACE FUNCTION announce_job_event() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('job_events', NEW.job_id::text);
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER job_events_announced AFTER INSERT ON job_events
    FOR EACH ROW EXECUTE FUNCTION announce_job_event();

CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id               uuid PRIMARY KEY,
    endpoint_id      uuid        NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    job_id           uuid        NOT NULL,
    sequence         bigint      NOT NULL,
    event_type       text        NOT NULL,
    status           text        NOT NULL,
    attempts         integer     NOT NULL,
    next_attempt_at  timestamptz NOT NULL,
    leased_until     timestamptz NULL,
    last_status_code integer     NULL,
    last_error       text        NULL,
    created_at       timestamptz NOT NULL,
    finished_at      timestamptz NULL,
    UNIQUE (endpoint_id, job_id, sequence)
);
CREATE INDEX IF NOT EXISTS ix_webhook_deliveries_endpoint_created ON webhook_deliveries (endpoint_id, created_at);

CREATE TABLE IF NOT EXISTS webhook_attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id  uuid        NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at timestamptz NOT NULL,
    status_code  integer     NULL,
    duration_ms  integer     NOT NULL,
    error        text        NULL
);
CREATE INDEX IF NOT EXISTS ix_webhook_attempts_delivery ON webhook_attempts (delivery_id);

-- Records one job event once and makes its deliveries, one per matching enabled endpoint (JobEventRecorder), in one
-- round trip: the job's events one at a time on any number of notifiers (an advisory lock on the job), the job's own
-- endpoint (with job.accepted) created first, so that it and an event recorded before it always see each other, and,
-- when it was created just now, the job's earlier events delivered to it too. Answers the pending deliveries not yet
-- sent, of this event or (new endpoint) of the job: a redelivered event sends again what may not have been sent.
CREATE OR REPLACE FUNCTION record_job_event(event_job uuid, event_sequence bigint, event_tenant text, event_kind text,
    event_payload json, own_url text, own_filter text[]) RETURNS SETOF uuid
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(event_job::text, 0));
    IF own_url IS NOT NULL THEN
        INSERT INTO webhook_endpoints (id, tenant_id, job_id, url, event_types, enabled, created_at, updated_at)
        VALUES (event_job, event_tenant, event_job, own_url, own_filter, true, now(), now())
        ON CONFLICT (id) DO NOTHING;
    END IF;

    INSERT INTO job_events (job_id, sequence, tenant_id, type, payload, recorded_at)
    VALUES (event_job, event_sequence, event_tenant, event_kind, event_payload, now())
    ON CONFLICT (job_id, sequence) DO NOTHING;

    INSERT INTO webhook_deliveries (id, endpoint_id, job_id, sequence, event_type, status, attempts, next_attempt_at, created_at)
    SELECT gen_random_uuid(), e.id, ev.job_id, ev.sequence, ev.type, 'pending', 0, now(), now()
      FROM job_events ev
      JOIN webhook_endpoints e ON e.enabled AND (e.job_id = ev.job_id OR (e.job_id IS NULL AND e.tenant_id = ev.tenant_id))
     WHERE ev.job_id = event_job
       AND (ev.sequence = event_sequence OR e.job_id = ev.job_id)
       AND (e.event_types IS NULL OR ev.type = ANY (e.event_types))
    ON CONFLICT (endpoint_id, job_id, sequence) DO NOTHING;

    RETURN QUERY
    SELECT d.id FROM webhook_deliveries d
     WHERE d.job_id = event_job AND d.status = 'pending' AND d.attempts = 0 AND d.leased_until IS NULL
       AND (d.sequence = event_sequence OR (own_url IS NOT NULL AND d.endpoint_id = event_job));
END $$;
