-- Tables owned by ImageBus.Operations: the dead letters collected from every *_error queue (failed_messages), one row
-- per broker message, and who retried or deleted which of them (failed_message_actions). Idempotent; applied at
-- start-up (ImageBus.Persistence.DatabaseSchema).

CREATE TABLE IF NOT EXISTS failed_messages (
    id                uuid PRIMARY KEY,
    -- SHA-256 of the error queue, headers and body: the same broker message delivered again (a collector that died
    -- before its ack) is the same row; the same command faulting again after a retry has a new fault time, a new row.
    broker_key        text        NOT NULL UNIQUE,
    error_queue       text        NOT NULL,
    source_queue      text        NOT NULL,
    group_id          text        NOT NULL,
    message_type      text        NULL,
    message_id        uuid        NULL,
    job_id            uuid        NULL,
    tenant_id         text        NULL,
    exception_type    text        NOT NULL,
    exception_message text        NOT NULL,
    group_message     text        NOT NULL,
    stack_trace       text        NULL,
    consumer_type     text        NULL,
    host              text        NULL,
    faulted_at        timestamptz NOT NULL,
    retry_count       integer     NOT NULL,
    -- The AMQP properties and headers as received (JSON), and the body bytes, to send the message back as it was.
    properties        jsonb       NOT NULL,
    headers           jsonb       NOT NULL,
    body              bytea       NOT NULL,
    status            text        NOT NULL,
    collected_at      timestamptz NOT NULL,
    resolved_at       timestamptz NULL
);
CREATE INDEX IF NOT EXISTS ix_failed_messages_group ON failed_messages (group_id) WHERE status = 'failed';
CREATE INDEX IF NOT EXISTS ix_failed_messages_collected ON failed_messages (collected_at DESC, id DESC);

CREATE TABLE IF NOT EXISTS failed_message_actions (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       timestamptz NOT NULL,
    actor    text        NOT NULL,
    action   text        NOT NULL,
    selector text        NOT NULL,
    count    integer     NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_failed_message_actions_at ON failed_message_actions (at DESC);
