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
