-- Tables owned by ImageBus.Gemini: Gemini calls counted per 10 s by model and result (GeminiCallLedger; a worker adds
-- its counts every few seconds, rows older than a day are removed), and each shared budget's configured calls per
-- minute as the workers last reported it. Idempotent; applied at start-up (ImageBus.Persistence.DatabaseSchema).

CREATE TABLE IF NOT EXISTS gemini_call_counts (
    bucket_start timestamptz NOT NULL,
    model        text        NOT NULL,
    result       text        NOT NULL,
    calls        bigint      NOT NULL,
    PRIMARY KEY (bucket_start, model, result)
);

CREATE TABLE IF NOT EXISTS gemini_budgets (
    limiter             text PRIMARY KEY,
    requests_per_minute integer     NOT NULL,
    reported_at         timestamptz NOT NULL
);
