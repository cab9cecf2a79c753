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

-- The last N grants of a budget of N calls per window, as a ring (slot = call number mod N): a call is left in the
-- window while they are not all within it.
CREATE TABLE IF NOT EXISTS rate_limit_grants (
    limiter    text   NOT NULL,
    slot       int    NOT NULL,
    granted_us bigint NOT NULL,
    PRIMARY KEY (limiter, slot)
);

-- Each grant's share (the tenant it was for): who used the budget within the last window decides whose turn is next.
ALTER TABLE rate_limit_grants ADD COLUMN IF NOT EXISTS share text NOT NULL DEFAULT '';

-- Calls waiting for their turn on a budget (its first name), each refreshed on every try; one not refreshed by
-- expires_us is gone (its worker died) and is no longer in the line.
CREATE TABLE IF NOT EXISTS rate_limit_waiters (
    limiter    text   NOT NULL,
    waiter_id  uuid   NOT NULL,
    share      text   NOT NULL,
    since_us   bigint NOT NULL,
    expires_us bigint NOT NULL,
    PRIMARY KEY (limiter, waiter_id)
);

-- Grants were booked ahead in arrival order; they are now given now or not at all, in fair turns (claim_rate_limits).
DROP FUNCTION IF EXISTS reserve_rate_limits(text[], int[], bigint[]);

-- Grants one call on every named budget at once if each has a call left in its window (the last N grants of a budget of
-- N, its ring, not all within the window), it is not paused, and the caller's turn has come. Turns are fair between
-- shares: the waiters of the first budget are put in line by their share's grants within the window plus how many of
-- the same share wait before them, then by arrival, so a share with many waiting calls and one with a single call take
-- turns. A caller whose turn has not come is told when to try again: when as many calls will have freed as wait before
-- it. Rows are locked in name order, so two callers never deadlock; each statement of a plpgsql function reads a fresh
-- snapshot, so what is read after the locks holds every grant committed before them.
CREATE OR REPLACE FUNCTION claim_rate_limits(names text[], permits int[], windows_us bigint[], caller_share text, waiter uuid,
    OUT granted boolean, OUT retry_us bigint, OUT now_us bigint)
LANGUAGE plpgsql AS $$
DECLARE
    i int;
    free bigint := 9223372036854775807;
    opens_us bigint;
    used bigint;
    paused_until bigint;
    ahead bigint;
    frees_us bigint;
    lead_window_us bigint := windows_us[1];
    lead_interval_us bigint := windows_us[1] / permits[1];
BEGIN
    INSERT INTO rate_limit_windows (limiter) SELECT unnest(names) ORDER BY 1 ON CONFLICT DO NOTHING;
    PERFORM 1 FROM rate_limit_windows WHERE limiter = ANY (names) ORDER BY limiter FOR UPDATE;
    now_us := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
    opens_us := now_us;
    FOR i IN 1 .. cardinality(names) LOOP
        SELECT w.paused_until_us INTO paused_until FROM rate_limit_windows w WHERE w.limiter = names[i];
        SELECT count(*) INTO used FROM rate_limit_grants g
         WHERE g.limiter = names[i] AND g.slot < permits[i] AND g.granted_us > now_us - windows_us[i];
        IF paused_until > now_us THEN
            free := 0;
            opens_us := greatest(opens_us, paused_until);
        ELSE
            free := least(free, permits[i] - used);
            IF used >= permits[i] THEN
                -- Full: the next call frees when the oldest grant in the window leaves it.
                opens_us := greatest(opens_us, (SELECT min(g.granted_us) FROM rate_limit_grants g
                    WHERE g.limiter = names[i] AND g.slot < permits[i] AND g.granted_us > now_us - windows_us[i]) + windows_us[i]);
            END IF;
        END IF;
    END LOOP;

    DELETE FROM rate_limit_waiters w WHERE w.limiter = names[1] AND w.expires_us < now_us;
    INSERT INTO rate_limit_waiters AS w (limiter, waiter_id, share, since_us, expires_us)
    VALUES (names[1], waiter, caller_share, now_us, now_us + 10000000)
    ON CONFLICT (limiter, waiter_id) DO UPDATE SET expires_us = EXCLUDED.expires_us;

    WITH recent AS (
        SELECT g.share, count(*) AS calls FROM rate_limit_grants g
         WHERE g.limiter = names[1] AND g.slot < permits[1] AND g.granted_us > now_us - lead_window_us GROUP BY g.share),
    line AS (
        SELECT w.waiter_id, w.since_us,
               coalesce(r.calls, 0) + row_number() OVER (PARTITION BY w.share ORDER BY w.since_us, w.waiter_id) AS turn
          FROM rate_limit_waiters w LEFT JOIN recent r ON r.share = w.share
         WHERE w.limiter = names[1])
    SELECT count(*) INTO ahead FROM line other, line me
     WHERE me.waiter_id = waiter AND (other.turn, other.since_us, other.waiter_id) < (me.turn, me.since_us, me.waiter_id);

    IF ahead < free THEN
        granted := true;
        retry_us := now_us;
        DELETE FROM rate_limit_waiters w WHERE w.limiter = names[1] AND w.waiter_id = waiter;
        FOR i IN 1 .. cardinality(names) LOOP
            INSERT INTO rate_limit_grants AS g (limiter, slot, granted_us, share)
            SELECT names[i], w.calls % permits[i], now_us, caller_share FROM rate_limit_windows w WHERE w.limiter = names[i]
            ON CONFLICT (limiter, slot) DO UPDATE SET granted_us = EXCLUDED.granted_us, share = EXCLUDED.share;
            UPDATE rate_limit_windows SET calls = calls + 1, last_grant_us = now_us WHERE limiter = names[i];
        END LOOP;
        RETURN;
    END IF;

    granted := false;
    -- When the calls before it have had theirs: the (ahead - free + 1)-th oldest grant of the window leaves it then, or,
    -- past the window's grants, one more call an even share of the window later each.
    SELECT g.granted_us + lead_window_us INTO frees_us FROM rate_limit_grants g
     WHERE g.limiter = names[1] AND g.slot < permits[1] AND g.granted_us > now_us - lead_window_us
     ORDER BY g.granted_us OFFSET greatest(ahead - greatest(free, 0), 0) LIMIT 1;
    retry_us := greatest(opens_us, coalesce(frees_us, now_us + lead_window_us + (ahead - greatest(free, 0)) * lead_interval_us));
    UPDATE rate_limit_waiters w SET expires_us = least(retry_us, now_us + 5000000) + 10000000
     WHERE w.limiter = names[1] AND w.waiter_id = waiter;
END $$;

-- A waiter that gave up (its call was cancelled) leaves the line at once.
CREATE OR REPLACE FUNCTION leave_rate_limit_line(name text, waiter uuid) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM rate_limit_waiters WHERE limiter = name AND waiter_id = waiter;
$$;

-- Holds every named budget until now + pause_us: no call is granted before then.
CREATE OR REPLACE FUNCTION pause_rate_limits(names text[], pause_us bigint) RETURNS bigint
LANGUAGE sql AS $$
    INSERT INTO rate_limit_windows AS w (limiter, paused_until_us)
    SELECT name, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint + pause_us FROM unnest(names) AS name ORDER BY 1
    ON CONFLICT (limiter) DO UPDATE SET paused_until_us = greatest(w.paused_until_us, EXCLUDED.paused_until_us)
    RETURNING paused_until_us;
$$;
