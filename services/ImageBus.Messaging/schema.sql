-- Tables owned by ImageBus.Messaging: the durable message scheduler (Scheduling/). One row per
-- scheduled message until a dispatcher sends it (then deleted) or it is cancelled by its token.
-- body is the MassTransit envelope as serialized at scheduling time (message types, ids, headers
-- including MT-Scheduling-TokenId); the other columns are for dispatching and for operators.
-- Idempotent; applied at start-up (ImageBus.Persistence.DatabaseSchema).

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
