-- Tables owned by ImageBus.Batches: the Gemini batches of batch-mode jobs and the image requests in each.
-- Idempotent; applied at start-up (ImageBus.Persistence.DatabaseSchema).

-- One row per batch, written before Gemini is asked to create it (the intent): its id is the batch's display name at
-- Gemini, so a creator that crashed after the create finds the batch by listing instead of making a second one.
-- state: open (taking requests) → full (taking no more, its seal due now) → creating → pending → running → succeeded |
-- failed | expired | cancelled.
CREATE TABLE IF NOT EXISTS gemini_batches (
    batch_id      uuid        PRIMARY KEY,
    model         text        NOT NULL,
    state         text        NOT NULL,
    gemini_name   text        NULL,
    request_count integer     NOT NULL DEFAULT 0,
    request_bytes bigint      NOT NULL DEFAULT 0,
    error         text        NULL,
    opened_at     timestamptz NOT NULL DEFAULT now(),
    submitted_at  timestamptz NULL,
    ended_at      timestamptz NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- At most one batch per model takes requests at a time.
CREATE UNIQUE INDEX IF NOT EXISTS ux_gemini_batches_open ON gemini_batches (model) WHERE state = 'open';

-- One row per image attempt put into a batch; its request id is the key Gemini returns its result under.
-- state: queued → completed | failed | cancelled (its job was cancelled: the result is discarded) | abandoned (the batch
-- ended without it; the saga may send it live).
CREATE TABLE IF NOT EXISTS gemini_batch_requests (
    request_id uuid        PRIMARY KEY,
    batch_id   uuid        NOT NULL REFERENCES gemini_batches (batch_id) ON DELETE CASCADE,
    job_id     uuid        NOT NULL,
    item_id    text        NOT NULL,
    attempt    integer     NOT NULL,
    state      text        NOT NULL,
    -- The GenerateImage it answers (JSON), kept to store and report the result.
    command    jsonb       NOT NULL,
    -- The Gemini request (JSON, source image included); cleared once Gemini has the batch.
    request    jsonb       NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (job_id, item_id, attempt)
);
CREATE INDEX IF NOT EXISTS ix_gemini_batch_requests_batch ON gemini_batch_requests (batch_id, state);
