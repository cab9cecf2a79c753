-- Tables owned by the worker: the Gemini budgets all workers share (see Throttling/SharedRateLimiter).
-- Times are Unix microseconds of the database's clock. Idempotent; applied at start-up (ImageBus.Persistence.DatabaseSchema).

-- Replaced by the sliding-window budget below (evenly spaced slots spread every burst out).
DROP TABLE IF EXISTS rate_limit_slots;

-- One row per budget: how many calls it has granted, the latest grant, and a pause a per-minute 429 asked for.
CREATE TABLE IF NOT EXISTS rate_limit_windows (
    limiter         text   PRIMARY KEY,
    calls           bigint NOT NULL DEFAULT 0,
    last_grant_us   bigint NOT NULL DEFAULT 0,
    paused_until_us bigint NOT NULL DEFAULT 0
);

-- The last N grants of a budget of N calls per window, as a ring (slot = call number mod N): the call N places before
-- the next one is the one it must keep a whole window away from.
CREATE TABLE IF NOT EXISTS rate_limit_grants (
    limiter    text   NOT NULL,
    slot       int    NOT NULL,
    granted_us bigint NOT NULL,
    PRIMARY KEY (limiter, slot)
);

-- Grants one call on every named budget at once, at the earliest time each of them allows: now, unless one of them
-- gave N calls within the last window (then a window after the earliest of those) or is paused. Rows are locked in
-- name order, so two callers never deadlock; each statement of a plpgsql function reads a fresh snapshot, so the
-- rings read after the locks hold every grant committed before them.
CREATE OR REPLACE FUNCTION reserve_rate_limits(names text[], permits int[], windows_us bigint[], OUT granted_us bigint, OUT now_us bigint)
LANGUAGE plpgsql AS $$
DECLARE
    budget record;
    i int;
BEGIN
    INSERT INTO rate_limit_windows (limiter) SELECT unnest(names) ORDER BY 1 ON CONFLICT DO NOTHING;
    PERFORM 1 FROM rate_limit_windows WHERE limiter = ANY (names) ORDER BY limiter FOR UPDATE;
    now_us := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
    granted_us := now_us;
    FOR i IN 1 .. cardinality(names) LOOP
        SELECT w.last_grant_us, w.paused_until_us, g.granted_us + windows_us[i] AS window_after
          INTO budget
          FROM rate_limit_windows w
          LEFT JOIN rate_limit_grants g ON g.limiter = w.limiter AND g.slot = w.calls % permits[i]
         WHERE w.limiter = names[i];
        granted_us := greatest(granted_us, budget.last_grant_us, budget.paused_until_us, budget.window_after);
    END LOOP;
    FOR i IN 1 .. cardinality(names) LOOP
        INSERT INTO rate_limit_grants AS g (limiter, slot, granted_us)
        SELECT names[i], w.calls % permits[i], reserve_rate_limits.granted_us FROM rate_limit_windows w WHERE w.limiter = names[i]
        ON CONFLICT (limiter, slot) DO UPDATE SET granted_us = EXCLUDED.granted_us;
        UPDATE rate_limit_windows SET calls = calls + 1, last_grant_us = reserve_rate_limits.granted_us WHERE limiter = names[i];
    END LOOP;
END $$;

-- Holds every named budget until now + pause_us: no call is granted before then.
CREATE OR REPLACE FUNCTION pause_rate_limits(names text[], pause_us bigint) RETURNS bigint
LANGUAGE sql AS $$
    INSERT INTO rate_limit_windows AS w (limiter, paused_until_us)
    SELECT name, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint + pause_us FROM unnest(names) AS name ORDER BY 1
    ON CONFLICT (limiter) DO UPDATE SET paused_until_us = greatest(w.paused_until_us, EXCLUDED.paused_until_us)
    RETURNING paused_until_us;
$$;
