-- Tables owned by the worker: the Gemini request budget all workers share — the next free call
-- slot per limiter, in Unix microseconds of the database's clock (see Throttling/SharedRateLimiter).
-- Idempotent; applied at start-up (ImageBus.Persistence.DatabaseSchema).

CREATE TABLE IF NOT EXISTS rate_limit_slots (
    limiter      text   PRIMARY KEY,
    next_free_us bigint NOT NULL
);
