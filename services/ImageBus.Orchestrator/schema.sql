-- Tables owned by the orchestrator: the tenant-slot saga (which jobs of a tenant generate now,
-- which wait). Idempotent; applied at start-up (ImageBus.Persistence.DatabaseSchema).

CREATE TABLE IF NOT EXISTS tenant_slots (
    correlation_id uuid PRIMARY KEY,
    current_state  text   NOT NULL,
    tenant_id      text   NOT NULL,
    generating     uuid[] NOT NULL,
    waiting        uuid[] NOT NULL
);
