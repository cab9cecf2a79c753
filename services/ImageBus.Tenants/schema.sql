-- Tables owned by ImageBus.Tenants: tenants, their API keys (only a SHA-256 of each key is kept), and the
-- keys that sign URLs (image links anyone holding them may fetch). Idempotent; applied at start-up
-- (ImageBus.Persistence.DatabaseSchema).

CREATE TABLE IF NOT EXISTS tenants (
    tenant_id  text PRIMARY KEY,
    name       text        NULL,
    created_at timestamptz NOT NULL,
    -- A deleted tenant keeps its row, so its id (which its jobs and blobs carry) is never handed to someone else.
    deleted_at timestamptz NULL
);

CREATE TABLE IF NOT EXISTS api_keys (
    key_id       text PRIMARY KEY,
    tenant_id    text        NOT NULL REFERENCES tenants (tenant_id),
    name         text        NULL,
    key_hash     bytea       NOT NULL,
    created_at   timestamptz NOT NULL,
    revoked_at   timestamptz NULL,
    last_used_at timestamptz NULL
);
CREATE INDEX IF NOT EXISTS ix_api_keys_tenant ON api_keys (tenant_id);

-- One row per purpose; the first instance to need a key writes it, every other one reads that row.
CREATE TABLE IF NOT EXISTS signing_keys (
    purpose    text PRIMARY KEY,
    key        bytea       NOT NULL,
    created_at timestamptz NOT NULL
);
