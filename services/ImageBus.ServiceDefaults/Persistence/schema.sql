-- ImageBus schema. Applied at start-up by every service that uses the database, under an advisory
-- lock, so it must stay idempotent: add new objects with IF NOT EXISTS, never edit old lines.

CREATE TABLE IF NOT EXISTS jobs (
    job_id          uuid PRIMARY KEY,
    current_state   text        NOT NULL,
    tenant_id       text        NOT NULL,
    case_id         text        NOT NULL,
    image_size      integer     NOT NULL,
    webhook_url     text        NULL,
    sequence        bigint      NOT NULL DEFAULT 0,
    failure_reason  text        NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    finished_at     timestamptz NULL
);
CREATE INDEX IF NOT EXISTS ix_jobs_tenant_state ON jobs (tenant_id, current_state);

CREATE TABLE IF NOT EXISTS job_images (
    job_id       uuid        NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
    item_id      text        NOT NULL,
    position     integer     NOT NULL,
    kind         text        NOT NULL,
    name         text        NOT NULL,
    description  text        NULL,
    prompt       text        NULL,
    aspect_ratio text        NOT NULL,
    width        integer     NOT NULL,
    height       integer     NOT NULL,
    status       text        NOT NULL,
    attempt      integer     NOT NULL,
    location     text        NULL,
    size_bytes   bigint      NULL,
    model        text        NULL,
    error_code   text        NULL,
    error        text        NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (job_id, item_id)
);

CREATE TABLE IF NOT EXISTS job_requests (
    job_id      uuid PRIMARY KEY,
    tenant_id   text        NOT NULL,
    case_id     text        NOT NULL,
    item_count  integer     NOT NULL,
    accepted_at timestamptz NOT NULL
);

-- Issue 3: deadlines, idempotency, retries and per-tenant limits.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS idempotency_key text NULL;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS deadline_at timestamptz NULL;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS job_deadline_token_id uuid NULL;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS image_check_token_id uuid NULL;
CREATE INDEX IF NOT EXISTS ix_jobs_unfinished_deadline ON jobs (deadline_at)
    WHERE current_state IN ('Pending', 'Generating');
ALTER TABLE job_images ADD COLUMN IF NOT EXISTS dispatched_at timestamptz NULL;
ALTER TABLE job_images ADD COLUMN IF NOT EXISTS dispatches integer NOT NULL DEFAULT 0;
ALTER TABLE job_images ADD COLUMN IF NOT EXISTS history jsonb NOT NULL DEFAULT '[]';
ALTER TABLE job_requests ADD COLUMN IF NOT EXISTS idempotency_key text NULL;
CREATE UNIQUE INDEX IF NOT EXISTS ux_job_requests_idempotency ON job_requests (tenant_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

CREATE TABLE IF NOT EXISTS tenant_slots (
    correlation_id uuid PRIMARY KEY,
    current_state  text   NOT NULL,
    tenant_id      text   NOT NULL,
    generating     uuid[] NOT NULL,
    waiting        uuid[] NOT NULL
);

-- Issue 4: the Gemini request budget all workers share: the next free call slot per limiter, in
-- Unix microseconds of the database's clock (see the worker's SharedRateLimiter).
CREATE TABLE IF NOT EXISTS rate_limit_slots (
    limiter      text   PRIMARY KEY,
    next_free_us bigint NOT NULL
);

-- Issue 5: webhook endpoints, the delivery log, and every job event recorded once (for the event
-- stream and for replay). A job's own webhook URL is an endpoint row with job_id set.
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

-- Durable message scheduler (services/ImageBus.ServiceDefaults/Scheduling). One row per scheduled
-- message until a dispatcher sends it (then deleted) or it is cancelled by its token. body is the
-- MassTransit envelope as serialized at scheduling time (message types, ids, headers including
-- MT-Scheduling-TokenId); the other columns are for dispatching and for operators.
CREATE TABLE IF NOT EXISTS scheduled_messages (
    token_id        uuid PRIMARY KEY,
    destination     text        NOT NULL,
    due_at          timestamptz NOT NULL,
    message_id      uuid        NULL,
    correlation_id  uuid        NULL,
    conversation_id uuid        NULL,
    message_types   text[]      NOT NULL,
    content_type    text        NOT NULL,
    body            bytea       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ix_scheduled_messages_due_at ON scheduled_messages (due_at);

-- The job's own webhook event filter (null: every event).
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS webhook_events text[] NULL;

-- What each stored image cost (tokens and estimated USD, from the worker).
ALTER TABLE job_images ADD COLUMN IF NOT EXISTS prompt_tokens integer NULL;
ALTER TABLE job_images ADD COLUMN IF NOT EXISTS candidates_tokens integer NULL;
ALTER TABLE job_images ADD COLUMN IF NOT EXISTS total_tokens integer NULL;
ALTER TABLE job_images ADD COLUMN IF NOT EXISTS estimated_cost_usd numeric(12, 6) NULL;
