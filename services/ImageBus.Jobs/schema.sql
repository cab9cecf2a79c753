-- Tables owned by ImageBus.Jobs: the job saga's rows (jobs, job_images) and the requests the
-- gateway accepted (job_requests). Applied at every start-up under an advisory lock
-- (ImageBus.Persistence.DatabaseSchema), so it stays idempotent: IF NOT EXISTS everywhere.

CREATE TABLE IF NOT EXISTS jobs (
    job_id                uuid PRIMARY KEY,
    current_state         text        NOT NULL,
    tenant_id             text        NOT NULL,
    case_id               text        NOT NULL,
    image_size            integer     NOT NULL,
    webhook_url           text        NULL,
    webhook_events        text[]      NULL,
    idempotency_key       text        NULL,
    sequence              bigint      NOT NULL DEFAULT 0,
    failure_reason        text        NULL,
    deadline_at           timestamptz NULL,
    job_deadline_token_id uuid        NULL,
    image_check_token_id  uuid        NULL,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    finished_at           timestamptz NULL
);
CREATE INDEX IF NOT EXISTS ix_jobs_tenant_state ON jobs (tenant_id, current_state);
CREATE INDEX IF NOT EXISTS ix_jobs_unfinished_deadline ON jobs (deadline_at)
    WHERE current_state IN ('Pending', 'Generating');

CREATE TABLE IF NOT EXISTS job_images (
    job_id             uuid          NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
    item_id            text          NOT NULL,
    position           integer       NOT NULL,
    kind               text          NOT NULL,
    name               text          NOT NULL,
    description        text          NULL,
    prompt             text          NULL,
    aspect_ratio       text          NOT NULL,
    width              integer       NOT NULL,
    height             integer       NOT NULL,
    status             text          NOT NULL,
    attempt            integer       NOT NULL,
    location           text          NULL,
    size_bytes         bigint        NULL,
    model              text          NULL,
    prompt_tokens      integer       NULL,
    candidates_tokens  integer       NULL,
    total_tokens       integer       NULL,
    estimated_cost_usd numeric(12, 6) NULL,
    error_code         text          NULL,
    error              text          NULL,
    dispatched_at      timestamptz   NULL,
    dispatches         integer       NOT NULL DEFAULT 0,
    history            jsonb         NOT NULL DEFAULT '[]',
    updated_at         timestamptz   NOT NULL,
    PRIMARY KEY (job_id, item_id)
);

CREATE TABLE IF NOT EXISTS job_requests (
    job_id          uuid PRIMARY KEY,
    tenant_id       text        NOT NULL,
    case_id         text        NOT NULL,
    item_count      integer     NOT NULL,
    idempotency_key text        NULL,
    accepted_at     timestamptz NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_job_requests_idempotency ON job_requests (tenant_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- Columns added after the tables above first shipped: ADD COLUMN IF NOT EXISTS keeps older databases current.
ALTER TABLE job_images ADD COLUMN IF NOT EXISTS source_image_url text NULL;
ALTER TABLE job_images ADD COLUMN IF NOT EXISTS source_image_key text NULL;
ALTER TABLE job_images ADD COLUMN IF NOT EXISTS image_size text NULL;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS model text NULL;
ALTER TABLE job_requests ADD COLUMN IF NOT EXISTS rejected_reason text NULL;
ALTER TABLE job_requests ADD COLUMN IF NOT EXISTS rejected_at timestamptz NULL;
ALTER TABLE job_requests ADD COLUMN IF NOT EXISTS deadline_at timestamptz NULL;
-- Staged items (vision → generation): the step of the current attempt, its analysis text, and step 1's billed calls.
ALTER TABLE job_images ADD COLUMN IF NOT EXISTS step text NULL;
ALTER TABLE job_images ADD COLUMN IF NOT EXISTS analysis text NULL;
ALTER TABLE job_images ADD COLUMN IF NOT EXISTS analysis_billed_calls integer NOT NULL DEFAULT 0;
-- Batch mode: the job's mode (live, batch) and where each image's current attempt was sent.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS mode text NULL;
ALTER TABLE job_images ADD COLUMN IF NOT EXISTS route text NULL;
-- When a job last started generating: how long jobs take, for the start estimate of those waiting for a slot.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS started_at timestamptz NULL;

-- Idempotency keys per tenant (IdempotencyKeys), kept for Jobs:IdempotencyKeyRetention: a repeat with the same body is
-- the job it made, another body is refused. The primary key is what makes two concurrent repeats one job. A key
-- reused after its row expired makes a new job, so job_requests no longer holds keys unique.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    tenant_id  text        NOT NULL,
    key        text        NOT NULL,
    body_hash  text        NOT NULL,
    job_id     uuid        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX IF NOT EXISTS ix_idempotency_keys_expires_at ON idempotency_keys (expires_at);
DROP INDEX IF EXISTS ux_job_requests_idempotency;
-- The sweeper looks for accepted jobs no saga took on.
CREATE INDEX IF NOT EXISTS ix_job_requests_accepted_at ON job_requests (accepted_at);
-- System health: images and jobs finished in the last hour or day.
CREATE INDEX IF NOT EXISTS ix_job_images_updated_at ON job_images (updated_at);
CREATE INDEX IF NOT EXISTS ix_jobs_finished_at ON jobs (finished_at) WHERE finished_at IS NOT NULL;
