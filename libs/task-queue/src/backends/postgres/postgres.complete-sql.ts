/**
 * The version of BullMQ's PostgreSQL schema (its `migration` table) that {@link COMPLETE_FUNCTION}
 * was written for: it writes BullMQ's `job` and `event` rows as that version's
 * `move_to_completed` and `move_to_active` do. Another version may not: it is refused.
 */
export const COMPLETED_SCHEMA_VERSION = 11;

/** The name of the function, in the queues' schema. */
export const COMPLETE_FUNCTION_NAME = 'tq_complete_fetch';

/**
 * What BullMQ's `move_to_completed` writes when a completion leaves queue `queue` (a PL/pgSQL
 * expression) with no job active and none waiting (or paused): its `drained` event, whose id
 * goes to `v_trim` when it is one that asks for the events' trim.
 */
const drainedEvent = (queue: string) =>
  `  IF NOT EXISTS (SELECT 1 FROM job WHERE queue = ${queue} AND state = 'active')
     AND (EXISTS (SELECT 1 FROM meta WHERE queue = ${queue} AND field = 'paused' AND value = '1')
          OR NOT EXISTS (SELECT 1 FROM job WHERE queue = ${queue} AND state = 'waiting')) THEN
    INSERT INTO event (queue, event, data, created_at_ms)
    VALUES (${queue}, 'drained', '{}'::jsonb,
            (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
    RETURNING CASE WHEN id % 256 = 0 THEN greatest(id, v_trim) ELSE v_trim END INTO v_trim;
  END IF;`;

/**
 * The first step of BullMQ's `move_to_active`: the delayed jobs of `queue` due by `now`
 * promoted to waiting, each with its `waiting` event (the last that asks for a trim in
 * `v_trim`).
 */
const promoteDue = (queue: string, now: string) =>
  `  WITH promoted AS (
    UPDATE job SET state = 'waiting', delay_ms = 0
     WHERE queue = ${queue} AND state = 'delayed' AND process_at_ms <= ${now}
    RETURNING id
  ), published AS (
    INSERT INTO event (queue, event, data, created_at_ms)
    SELECT ${queue}, 'waiting', jsonb_build_object('jobId', promoted.id, 'prev', 'delayed'),
           (extract(epoch FROM clock_timestamp()) * 1000)::bigint
      FROM promoted
    RETURNING id
  )
  SELECT greatest(v_trim, max(id) FILTER (WHERE id % 256 = 0)) INTO v_trim FROM published;`;

/** Whether `queue` is paused or has a global concurrency or rate limit: a claim is BullMQ's. */
const limitedNow = (queue: string) =>
  `EXISTS (SELECT 1 FROM meta
              WHERE queue = ${queue}
                AND (field IN ('concurrency', 'max') OR (field = 'paused' AND value = '1')))`;

/**
 * BullMQ's `publish_event` wake-up and trim, once for all the events a call wrote: one
 * notification per queue (its consumers read every event past their cursor), and the trim the
 * last event that is due one asks for (`v_trim`, which covers those of the earlier ones).
 */
const publishEvents = (queue: string) =>
  `  IF pg_try_advisory_xact_lock(hashtext('bullmq:evnotify:' || ${queue})) THEN
    PERFORM pg_notify('bullmq_events', ${queue});
  END IF;
  IF v_trim IS NOT NULL THEN
    SELECT value::integer INTO v_max FROM meta WHERE queue = ${queue} AND field = 'opts.maxLenEvents';
    v_max := COALESCE(v_max, 10000);
    IF v_max > 0 AND v_trim > v_max
       AND pg_try_advisory_xact_lock(hashtext('bullmq:evtrim:' || ${queue})) THEN
      DELETE FROM event WHERE queue = ${queue} AND id <= v_trim - v_max;
    END IF;
  END IF;`;

/**
 * Completes a worker's batch of jobs and claims the next ones for the same slots: what calling
 * BullMQ's `move_to_completed` for each job (in the order given), then its `move_to_active` for
 * each slot, does, in a few set-based statements instead of ~30 per job. Its 13 parameters are
 * the arrays of `move_to_completed_fetch`'s, one element per call (the return values as JSON
 * text); it returns each claimed job with the 1-based position of the call that claimed it.
 *
 * It does so only for the common case, read from the rows and the queue's meta in this
 * transaction: one queue; no limiter, global concurrency or pause; retention left to the sweep
 * (keep all, or remove the job itself); every job active under the token given, with no
 * parent, no deduplication id and no children. Any other batch goes through BullMQ's own
 * `move_to_completed_fetch`, one call per job, as before (and raises its errors).
 */
export const COMPLETE_FUNCTION = `
CREATE OR REPLACE FUNCTION ${COMPLETE_FUNCTION_NAME}(
  p_queue text[], p_id text[], p_token text[], p_value text[], p_finished bigint[],
  p_remove_all boolean[], p_keep_age bigint[], p_keep_count integer[], p_lock_ms bigint[],
  p_now bigint[], p_name text[], p_limiter_max integer[], p_limiter_duration bigint[]
) RETURNS TABLE (ord bigint, claimed job)
LANGUAGE plpgsql
SET search_path FROM CURRENT
-- Every statement here finds its rows by key or by address. A session keeps the plans it made
-- for them, and, without statistics, a plan made while the table held a few rows reads the
-- whole table (an address looked up costs more than a page read): the worker would read the
-- queue in every batch once it had grown. No sequential scan unless there is no other way.
SET enable_seqscan = off
AS $fn$
DECLARE
  v_queue text := p_queue[1];
  v_count integer := cardinality(p_id);
  v_common boolean;
  v_locked integer;
  v_rows tid[];
  v_done integer;
  v_gone tid[];
  v_max integer;
  v_trim bigint;
  v_slots bigint[];
  v_jobs job[];
BEGIN
  -- The batch's own shape, and the queue's: nothing here takes a lock.
  v_common := v_count > 0
    AND (SELECT count(DISTINCT q) = 1 AND bool_and(q IS NOT NULL) FROM unnest(p_queue) AS q)
    AND (SELECT count(DISTINCT i) = v_count FROM unnest(p_id) AS i)
    AND NOT EXISTS (SELECT 1 FROM unnest(p_limiter_max, p_limiter_duration) AS l(mx, du)
                     WHERE mx IS NOT NULL OR du IS NOT NULL)
    AND NOT EXISTS (SELECT 1 FROM unnest(p_keep_age, p_keep_count) AS k(age, cnt)
                     WHERE age >= 0 OR cnt >= 0)
    AND NOT EXISTS (SELECT 1 FROM meta
                     WHERE queue = v_queue
                       AND (field IN ('concurrency', 'max') OR (field = 'paused' AND value = '1')))
    -- A job's parent and deduplication id are set when it is added, and never change: read
    -- before any lock, as BullMQ reads the parent, so that its lock order is kept.
    -- Each job is found by its key in a LATERAL subquery that OFFSET 0 keeps apart: a plain
    -- join (or id = ANY) leaves the plan to the table's statistics, and without them (a new
    -- schema, a server without autovacuum) the planner reads every job of the queue instead.
    AND NOT EXISTS (SELECT 1 FROM unnest(p_id) AS b(id)
                     CROSS JOIN LATERAL (SELECT j.parent_id, j.parent_queue, j.dedup_id FROM job j
                                          WHERE j.queue = v_queue AND j.id = b.id OFFSET 0) AS j
                     WHERE j.parent_id IS NOT NULL OR j.parent_queue IS NOT NULL
                        OR j.dedup_id IS NOT NULL);

  IF v_common THEN
    -- BullMQ's lock_finalization_queues, for a job without a parent.
    PERFORM pg_advisory_xact_lock_shared(hashtext('bullmq:finalization'), hashtext(v_queue));
    -- The jobs' rows, locked one by one by key in the order given (the worker's lock order),
    -- each checked as BullMQ's move_to_completed checks it once locked; their row addresses
    -- are kept, so that the update below goes to them without a search (nothing else can
    -- change a row this transaction holds locked). The update names no other column an index
    -- could serve: the planner, without statistics, would rather read the queue.
    SELECT count(*) FILTER (
             WHERE l.state = 'active' AND (b.token = '0' OR l.lock_token IS NOT DISTINCT FROM b.token)
               AND NOT EXISTS (SELECT 1 FROM job_dependency d
                                WHERE d.parent_queue = v_queue AND d.parent_id = b.id)),
           array_agg(l.row_id)
      INTO v_locked, v_rows
      FROM unnest(p_id, p_token) WITH ORDINALITY AS b(id, token, n)
     CROSS JOIN LATERAL (SELECT j.ctid AS row_id, j.state, j.lock_token FROM job j
                          WHERE j.queue = v_queue AND j.id = b.id
                          OFFSET 0 FOR UPDATE) AS l;
    v_common := v_locked = v_count;
  END IF;

  IF NOT v_common THEN
    RETURN QUERY
      SELECT b.n, j
        FROM unnest(p_queue, p_id, p_token, p_value, p_finished, p_remove_all, p_keep_age,
                    p_keep_count, p_lock_ms, p_now, p_name, p_limiter_max, p_limiter_duration)
             WITH ORDINALITY AS b(q, id, token, val, fin, rem, age, cnt, lms, nw, nm, lmx, ldu, n)
       CROSS JOIN LATERAL move_to_completed_fetch(
             b.q, b.id, b.token, b.val::jsonb, b.fin, b.rem, b.age, b.cnt, b.lms, b.nw, b.nm,
             b.lmx, b.ldu) AS j
       ORDER BY b.n;
    RETURN;
  END IF;

  WITH done AS (
    UPDATE job j
       SET state = 'completed',
           return_value = b.val::jsonb,
           finished_at_ms = b.fin,
           lock_token = NULL,
           locked_until_ms = NULL,
           attempts_made = j.attempts_made + 1
      FROM unnest(p_id, p_value, p_finished, p_remove_all) AS b(id, val, fin, rem)
     WHERE j.ctid = ANY (v_rows) AND j.id = b.id
    RETURNING j.ctid AS row_id, b.rem
  )
  SELECT count(*), coalesce(array_agg(row_id) FILTER (WHERE rem), '{}')
    INTO v_done, v_gone
    FROM done;
  -- Every row was locked above, so each is where it was found; should one not be, the batch
  -- is undone, and its completions go alone.
  IF v_done <> v_count THEN
    RAISE EXCEPTION 'tq_complete_fetch: % of % jobs found at their locked rows', v_done, v_count
      USING ERRCODE = 'serialization_failure';
  END IF;

  WITH published AS (
    INSERT INTO event (queue, event, data, created_at_ms)
    SELECT v_queue, 'completed',
           jsonb_build_object('jobId', b.id, 'returnvalue',
             COALESCE(b.val::jsonb, 'null'::jsonb)::text, 'prev', 'active'),
           (extract(epoch FROM clock_timestamp()) * 1000)::bigint
      FROM unnest(p_id, p_value) WITH ORDINALITY AS b(id, val, n)
     ORDER BY b.n
    RETURNING id
  )
  SELECT max(id) FILTER (WHERE id % 256 = 0) INTO v_trim FROM published;

  -- BullMQ's apply_retention with remove_all, for a job without a parent: the job goes.
  IF cardinality(v_gone) > 0 THEN
    DELETE FROM job WHERE ctid = ANY (v_gone);
  END IF;

${drainedEvent('v_queue')}

  -- move_to_active for each slot: due delayed jobs promoted first (by the latest clock of the
  -- batch: the last call's promotion covers the earlier ones'), then, unless the queue is
  -- paused or limited now, the waiting jobs by priority then seq, the i-th to the i-th slot.
${promoteDue('v_queue', '(SELECT max(nw) FROM unnest(p_now) AS nw)')}

  IF ${limitedNow('v_queue')} THEN
    -- BullMQ's own claim, slot by slot.
    RETURN QUERY
      SELECT b.n, j
        FROM unnest(p_token, p_lock_ms, p_now, p_name) WITH ORDINALITY AS b(token, lms, nw, nm, n)
       CROSS JOIN LATERAL move_to_active(v_queue, b.token, b.lms, b.nw, b.nm, NULL, NULL) AS j
       ORDER BY b.n;
  ELSE
    -- The rows claimed are updated at the addresses their lock returned, as above.
    WITH next AS (
      SELECT w.id, w.row_id, row_number() OVER (ORDER BY w.priority, w.seq) AS n
        FROM (SELECT ctid AS row_id, id, priority, seq FROM job
               WHERE queue = v_queue AND state = 'waiting'
               ORDER BY priority, seq
                 FOR UPDATE SKIP LOCKED
               LIMIT v_count) AS w
    ), slots AS (
      SELECT b.token, b.lms, b.nw, b.nm, b.n, next.id
        FROM unnest(p_token, p_lock_ms, p_now, p_name) WITH ORDINALITY AS b(token, lms, nw, nm, n)
        JOIN next ON next.n = b.n
    ), taken AS (
      UPDATE job j
         SET state = 'active',
             lock_token = s.token,
             locked_until_ms = s.nw + s.lms,
             processed_at_ms = s.nw,
             processed_by = s.nm,
             attempts_started = j.attempts_started + 1
        FROM slots s
       WHERE j.ctid = ANY (ARRAY(SELECT row_id FROM next)) AND j.id = s.id
      RETURNING s.n AS n, j AS jr
    )
    SELECT coalesce(array_agg(t.n ORDER BY t.n), '{}'), coalesce(array_agg(t.jr ORDER BY t.n), '{}')
      INTO v_slots, v_jobs
      FROM taken t;
    -- Unnested, an array of rows is their columns: the i-th job is v_jobs[i].

    WITH published AS (
      INSERT INTO event (queue, event, data, created_at_ms)
      SELECT v_queue, 'active', jsonb_build_object('jobId', (v_jobs[i]).id, 'prev', 'waiting'),
             (extract(epoch FROM clock_timestamp()) * 1000)::bigint
        FROM generate_subscripts(v_slots, 1) AS i
       ORDER BY i
      RETURNING id
    )
    SELECT greatest(v_trim, max(id) FILTER (WHERE id % 256 = 0)) INTO v_trim FROM published;

    RETURN QUERY SELECT v_slots[i], v_jobs[i] FROM generate_subscripts(v_slots, 1) AS i ORDER BY i;
  END IF;

  -- publish_event's wake-up and trim, once for the events above.
${publishEvents('v_queue')}
END;
$fn$`;

/** The name of the function for a completion alone, in the queues' schema. */
export const COMPLETE_ONE_FUNCTION_NAME = 'tq_complete_fetch_one';

/**
 * {@link COMPLETE_FUNCTION} for one completion: the 13 parameters of BullMQ's
 * `move_to_completed_fetch` as they are (not arrays), and the job claimed for the slot, if any,
 * as BullMQ's function returns it. The same common case, checked the same way; any other call
 * goes to BullMQ's `move_to_completed_fetch` (and raises its errors). Its statements take
 * plain values, so PostgreSQL keeps one plan for each: the set-based function, called for one
 * job, plans two of its statements again on every call (their plan for arrays of unknown
 * length costs more than one made for the array given), and starts a dozen larger plans.
 */
export const COMPLETE_ONE_FUNCTION = `
CREATE OR REPLACE FUNCTION ${COMPLETE_ONE_FUNCTION_NAME}(
  p_queue text, p_id text, p_token text, p_value jsonb, p_finished bigint,
  p_remove_all boolean, p_keep_age bigint, p_keep_count integer, p_lock_ms bigint,
  p_now bigint, p_name text, p_limiter_max integer, p_limiter_duration bigint
) RETURNS SETOF job
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $fn$
DECLARE
  v_common boolean;
  v_row tid;
  v_event bigint;
  v_trim bigint;
  v_max integer;
  v_job job;
BEGIN
  -- The call's own shape, the queue's and the job's, as the set-based function reads them:
  -- nothing here takes a lock.
  v_common := p_queue IS NOT NULL AND p_id IS NOT NULL
    AND p_limiter_max IS NULL AND p_limiter_duration IS NULL
    AND NOT coalesce(p_keep_age >= 0 OR p_keep_count >= 0, false)
    AND NOT EXISTS (SELECT 1 FROM meta
                     WHERE queue = p_queue
                       AND (field IN ('concurrency', 'max') OR (field = 'paused' AND value = '1')))
    AND NOT EXISTS (SELECT 1 FROM job j
                     WHERE j.queue = p_queue AND j.id = p_id
                       AND (j.parent_id IS NOT NULL OR j.parent_queue IS NOT NULL
                            OR j.dedup_id IS NOT NULL));

  IF v_common THEN
    -- BullMQ's lock_finalization_queues, for a job without a parent.
    PERFORM pg_advisory_xact_lock_shared(hashtext('bullmq:finalization'), hashtext(p_queue));
    -- The job's row, locked, and checked as BullMQ's move_to_completed checks it.
    SELECT j.ctid,
           j.state = 'active' AND (p_token = '0' OR j.lock_token IS NOT DISTINCT FROM p_token)
             AND NOT EXISTS (SELECT 1 FROM job_dependency d
                              WHERE d.parent_queue = p_queue AND d.parent_id = p_id)
      INTO v_row, v_common
      FROM job j
     WHERE j.queue = p_queue AND j.id = p_id
       FOR UPDATE;
    v_common := coalesce(v_common, false);
  END IF;

  IF NOT v_common THEN
    RETURN QUERY SELECT * FROM move_to_completed_fetch(
      p_queue, p_id, p_token, p_value, p_finished, p_remove_all, p_keep_age, p_keep_count,
      p_lock_ms, p_now, p_name, p_limiter_max, p_limiter_duration);
    RETURN;
  END IF;

  -- The row is updated at the address its lock returned (nothing else can move a row this
  -- transaction holds locked), and its completed event written by the same statement.
  WITH done AS (
    UPDATE job
       SET state = 'completed',
           return_value = p_value,
           finished_at_ms = p_finished,
           lock_token = NULL,
           locked_until_ms = NULL,
           attempts_made = attempts_made + 1
     WHERE ctid = v_row AND queue = p_queue AND id = p_id
    RETURNING id
  )
  INSERT INTO event (queue, event, data, created_at_ms)
  SELECT p_queue, 'completed',
         jsonb_build_object('jobId', done.id, 'returnvalue',
           COALESCE(p_value, 'null'::jsonb)::text, 'prev', 'active'),
         (extract(epoch FROM clock_timestamp()) * 1000)::bigint
    FROM done
  RETURNING id INTO v_event;
  IF v_event IS NULL THEN
    RAISE EXCEPTION 'tq_complete_fetch_one: job % not found at its locked row', p_id
      USING ERRCODE = 'serialization_failure';
  END IF;
  IF v_event % 256 = 0 THEN
    v_trim := v_event;
  END IF;

  -- BullMQ's apply_retention with remove_all, for a job without a parent: the job goes (by its
  -- key: the update above gave the row a new address).
  IF p_remove_all THEN
    DELETE FROM job WHERE queue = p_queue AND id = p_id;
  END IF;

${drainedEvent('p_queue')}

  -- move_to_active: due delayed jobs promoted first, then, unless the queue is paused or
  -- limited now, the first waiting job by priority then seq.
${promoteDue('p_queue', 'p_now')}

  IF ${limitedNow('p_queue')} THEN
    -- BullMQ's own claim.
    RETURN QUERY SELECT * FROM move_to_active(p_queue, p_token, p_lock_ms, p_now, p_name, NULL, NULL);
  ELSE
    -- The row claimed is updated at the address its lock returned, as above.
    UPDATE job
       SET state = 'active',
           lock_token = p_token,
           locked_until_ms = p_now + p_lock_ms,
           processed_at_ms = p_now,
           processed_by = p_name,
           attempts_started = attempts_started + 1
     WHERE ctid = (SELECT ctid FROM job
                    WHERE queue = p_queue AND state = 'waiting'
                    ORDER BY priority, seq
                      FOR UPDATE SKIP LOCKED
                    LIMIT 1)
    RETURNING * INTO v_job;
    IF FOUND THEN
      INSERT INTO event (queue, event, data, created_at_ms)
      VALUES (p_queue, 'active', jsonb_build_object('jobId', v_job.id, 'prev', 'waiting'),
              (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
      RETURNING greatest(v_trim, CASE WHEN id % 256 = 0 THEN id END) INTO v_trim;
      RETURN NEXT v_job;
    END IF;
  END IF;

  -- publish_event's wake-up and trim, once for the events above.
${publishEvents('p_queue')}
END;
$fn$`;
