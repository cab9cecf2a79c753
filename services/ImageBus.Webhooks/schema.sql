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
