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

-- Grants one call on every named budget at once, in the caller's turn: now, if each budget has a call left in its window
-- (fewer than N grants within it: its ring holds the last N) and is not paused; or, for the first in line, at the next
-- opening if that is within a second (booked then, so that the call is made on time however late its worker wakes).
-- Turns are fair between shares: the waiters of the first budget are put in line by their share's grants within the
-- window plus how many of the same share wait before them, then by arrival, so a share with many waiting calls and one
-- with a single call take turns. A caller whose turn has not come is told when to try again: when the calls before it
-- will have had theirs. Rows are locked in name order, so two callers never deadlock; each statement of a plpgsql
-- function reads a fresh snapshot, so what is read after the locks holds every grant committed before them.
CREATE OR REPLACE FUNCTION claim_rate_limits(names text[], permits int[], windows_us bigint[], caller_share text, waiter uuid,
    OUT granted boolean, OUT retry_us bigint, OUT now_us bigint)
LANGUAGE plpgsql AS $$
DECLARE
    i int;
    free bigint := 9223372036854775807;
    opens_us bigint;
    budget record;
    ahead bigint;
    lead_calls bigint;
BEGIN
    INSERT INTO rate_limit_windows (limiter) SELECT unnest(names) ORDER BY 1 ON CONFLICT DO NOTHING;
    PERFORM 1 FROM rate_limit_windows WHERE limiter = ANY (names) ORDER BY limiter FOR UPDATE;
    now_us := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
    opens_us := now_us;
    FOR i IN 1 .. cardinality(names) LOOP
        -- Grants only grow in call order, so the calls free now are the ring's rows out of the window (and its unused slots),
        -- and the next to free is the call N places before the next one.
        SELECT w.calls, w.last_grant_us, w.paused_until_us,
               permits[i] - (SELECT count(*) FROM rate_limit_grants g
                              WHERE g.limiter = w.limiter AND g.slot < permits[i] AND g.granted_us + windows_us[i] > now_us) AS left_now,
               (SELECT g.granted_us + windows_us[i] FROM rate_limit_grants g
                 WHERE g.limiter = w.limiter AND g.slot = w.calls % permits[i]) AS next_frees_us
          INTO budget FROM rate_limit_windows w WHERE w.limiter = names[i];
        IF i = 1 THEN
            lead_calls := budget.calls;
        END IF;
        IF budget.paused_until_us > now_us THEN
            free := 0;
        ELSE
            free := least(free, budget.left_now);
        END IF;
        opens_us := greatest(opens_us, budget.last_grant_us, budget.paused_until_us,
            CASE WHEN budget.left_now > 0 THEN now_us ELSE coalesce(budget.next_frees_us, now_us) END);
    END LOOP;

    DELETE FROM rate_limit_waiters w WHERE w.limiter = names[1] AND w.expires_us < now_us;
    INSERT INTO rate_limit_waiters AS w (limiter, waiter_id, share, since_us, expires_us)
    VALUES (names[1], waiter, caller_share, now_us, now_us + 10000000)
    ON CONFLICT (limiter, waiter_id) DO UPDATE SET expires_us = EXCLUDED.expires_us;

    WITH recent AS (
        SELECT g.share, count(*) AS calls FROM rate_limit_grants g
         WHERE g.limiter = names[1] AND g.slot < permits[1] AND g.granted_us + windows_us[1] > now_us GROUP BY g.share),
    line AS (
        SELECT w.waiter_id, w.since_us,
               coalesce(r.calls, 0) + row_number() OVER (PARTITION BY w.share ORDER BY w.since_us, w.waiter_id) AS turn
          FROM rate_limit_waiters w LEFT JOIN recent r ON r.share = w.share
         WHERE w.limiter = names[1])
    SELECT count(*) INTO ahead FROM line other, line me
     WHERE me.waiter_id = waiter AND (other.turn, other.since_us, other.waiter_id) < (me.turn, me.since_us, me.waiter_id);

    IF ahead < free OR (ahead = 0 AND opens_us <= now_us + 1000000) THEN
        granted := true;
        -- A booked call is granted at the opening; a free one now (never before the latest grant, so grants stay in order).
        retry_us := CASE WHEN ahead < free THEN greatest(now_us, (SELECT last_grant_us FROM rate_limit_windows WHERE limiter = names[1])) ELSE opens_us END;
        DELETE FROM rate_limit_waiters w WHERE w.limiter = names[1] AND w.waiter_id = waiter;
        FOR i IN 1 .. cardinality(names) LOOP
            INSERT INTO rate_limit_grants AS g (limiter, slot, granted_us, share)
            SELECT names[i], w.calls % permits[i], retry_us, caller_share FROM rate_limit_windows w WHERE w.limiter = names[i]
            ON CONFLICT (limiter, slot) DO UPDATE SET granted_us = EXCLUDED.granted_us, share = EXCLUDED.share;
            UPDATE rate_limit_windows SET calls = calls + 1, last_grant_us = retry_us WHERE limiter = names[i];
        END LOOP;
        RETURN;
    END IF;

    granted := false;
    -- The calls before it take the free ones, then one each as the ring's oldest leave the window; past one ring, another
    -- window an even share apart.
    SELECT greatest(opens_us, g.granted_us + windows_us[1]) INTO retry_us FROM rate_limit_grants g
     WHERE g.limiter = names[1] AND g.slot = (lead_calls + greatest(ahead - greatest(free, 0), 0)) % permits[1];
    retry_us := CASE WHEN ahead - greatest(free, 0) < permits[1] AND retry_us IS NOT NULL THEN retry_us
                     ELSE greatest(opens_us, now_us + windows_us[1] + (ahead - greatest(free, 0)) * (windows_us[1] / permits[1])) END;
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

-- Which delivery of a GenerateImage is making its image (ImageAttemptClaims). A broker node lost mid-call hands the
-- in-flight commands to other consumers while their first deliveries are still at Gemini: the copy waits for the claim
-- instead of paying Gemini twice. A claim is a short lease its holder renews; done marks an attempt answered.
CREATE TABLE IF NOT EXISTS image_attempt_claims (
    job_id     uuid        NOT NULL,
    item_id    text        NOT NULL,
    attempt    integer     NOT NULL,
    holder     uuid        NOT NULL,
    held_until timestamptz NOT NULL,
    done       boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (job_id, item_id, attempt)
);
CREATE INDEX IF NOT EXISTS ix_image_attempt_claims_held_until ON image_attempt_claims (held_until);

-- 'claimed' (the caller holds the attempt until now + lease), 'held' (a live holder has it) or 'done' (answered).
-- Each call also clears up to two claims over a day old, so the table stays about a day of images large.
CREATE OR REPLACE FUNCTION claim_image_attempt(job uuid, item text, attempt_number integer, claimant uuid, lease_ms integer)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    outcome text;
BEGIN
    DELETE FROM image_attempt_claims
     WHERE ctid IN (SELECT ctid FROM image_attempt_claims WHERE held_until < now() - interval '1 day' LIMIT 2);
    INSERT INTO image_attempt_claims AS c (job_id, item_id, attempt, holder, held_until)
    VALUES (job, item, attempt_number, claimant, now() + lease_ms * interval '1 millisecond')
    ON CONFLICT (job_id, item_id, attempt) DO UPDATE SET holder = EXCLUDED.holder, held_until = EXCLUDED.held_until
     WHERE NOT c.done AND (c.holder = EXCLUDED.holder OR c.held_until < now());
    IF FOUND THEN
        RETURN 'claimed';
    END IF;
    SELECT CASE WHEN c.done THEN 'done' ELSE 'held' END INTO outcome FROM image_attempt_claims c
     WHERE c.job_id = job AND c.item_id = item AND c.attempt = attempt_number;
    RETURN coalesce(outcome, 'held');
END $$;
