-- V7: published events are kept in a history table partitioned by day, not in the queue.
--
-- Why: before V7 the relay marked an event published with an UPDATE of published_at. That
-- writes a new version of the whole row and an entry in each of three indexes, because
-- published_at is indexed; the retention purge then deleted the rows one by one, through
-- another index. Keeping a week of events that way halved the relay's drain rate. Since V7 the
-- relay moves a published event in one statement: it deletes it from outbox.event (which
-- stays a queue of undelivered and dead events) and appends it to outbox.event_history, a
-- table without indexes, partitioned by the day (UTC) of published_at. Retention drops a
-- whole day's partition, which costs the same for ten rows or ten million.
--
-- What it means for operators:
--   * Retention is kept by the day: a published event is kept for at least the relay's
--     retention and at most one day longer (its day is dropped once all of it is older).
--     `relay purge` removes exactly what is older than it is told (whole days are dropped, the
--     rest of the oldest day kept is deleted row by row).
--   * `relay replay` moves events back from the history into outbox.event with their id and
--     seq, so they are delivered again in write order per key, like before.
--   * Partitions are made by the relay ahead of time (today and tomorrow, UTC) through
--     outbox.event_history_prepare(); a DBA may call it too.
--   * History has no index: finding one event by id reads it all (the relay does that only in
--     an error message). Query it by published_at, which selects partitions.
--
-- Privileges: the relay may append to the history and read it, but creates and drops
-- partitions, and moves events back for a replay, only through the three functions below.
-- They are SECURITY DEFINER (they run with the rights of the role that applied this file), with a
-- fixed search_path, and only outbox_relay may execute them.
--
-- Upgrading: events already published stay in outbox.event, where the relay still counts,
-- replays and purges them (by published_at, as before) until none is left: applying this file
-- moves no row and takes only brief locks. A relay of an earlier version, still running while
-- this is applied, goes on marking in place; its rows are handled the same way. Re-applying
-- this file is harmless.

SET client_min_messages = warning; -- "already exists" of a re-application is no news

CREATE TABLE IF NOT EXISTS outbox.event_history (
    id              uuid        NOT NULL,
    seq             bigint      NOT NULL,
    aggregatetype   text        NOT NULL,
    aggregateid     text        NOT NULL,
    type            text        NOT NULL,
    payload         jsonb       NOT NULL,
    headers         jsonb       NOT NULL,
    occurred_at     timestamptz NOT NULL,
    attempts        integer     NOT NULL,
    last_error      text,
    published_at    timestamptz NOT NULL
) PARTITION BY RANGE (published_at);

COMMENT ON TABLE outbox.event_history IS
    'Published events kept for the retention (audit, replay), one partition per UTC day of published_at; moved here by the relay.';
COMMENT ON COLUMN outbox.event_history.id IS
    'Event id, as in outbox.event (unique: an event is either in outbox.event or here).';
COMMENT ON COLUMN outbox.event_history.seq IS
    'Write order, as in outbox.event; kept when a replay moves the event back.';
COMMENT ON COLUMN outbox.event_history.aggregatetype IS 'As in outbox.event.';
COMMENT ON COLUMN outbox.event_history.aggregateid IS 'As in outbox.event.';
COMMENT ON COLUMN outbox.event_history.type IS 'As in outbox.event.';
COMMENT ON COLUMN outbox.event_history.payload IS 'As in outbox.event: the body that was sent.';
COMMENT ON COLUMN outbox.event_history.headers IS 'As in outbox.event: the headers that were sent.';
COMMENT ON COLUMN outbox.event_history.occurred_at IS 'As in outbox.event.';
COMMENT ON COLUMN outbox.event_history.attempts IS
    'Failed delivery attempts before the one that succeeded.';
COMMENT ON COLUMN outbox.event_history.last_error IS
    'The last delivery error before the event was published, if any.';
COMMENT ON COLUMN outbox.event_history.published_at IS
    'When a broker acknowledged the event (the relay''s clock); selects the partition.';

-- Creates the partitions of `days` days from `first_day` on (UTC), those that do not exist yet.
-- Two relays may call it at once: a partition made by the other in the meantime is no error.
CREATE OR REPLACE FUNCTION outbox.event_history_prepare(first_day date, days integer)
    RETURNS integer
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET "TimeZone" = 'UTC'
AS $$
DECLARE
    day date;
    name text;
    created integer := 0;
BEGIN
    IF days IS NULL OR days < 1 OR days > 31 THEN
        RAISE EXCEPTION 'outbox.event_history_prepare: days must be 1 to 31 (was %)', days;
    END IF;
    FOR i IN 0 .. days - 1 LOOP
        day := first_day + i;
        name := 'event_history_p' || to_char(day, 'YYYYMMDD');
        CONTINUE WHEN to_regclass('outbox.' || name) IS NOT NULL;
        BEGIN
            EXECUTE format('CREATE TABLE outbox.%I PARTITION OF outbox.event_history'
                               || ' FOR VALUES FROM (%L) TO (%L)', name, day::timestamptz, (day + 1)::timestamptz);
            EXECUTE format('COMMENT ON TABLE outbox.%I IS %L', name,
                           'Published events of ' || to_char(day, 'YYYY-MM-DD')
                               || ' (UTC); dropped whole once older than the retention.');
            created := created + 1;
        EXCEPTION WHEN duplicate_table THEN
            NULL; -- made by a concurrent call
        END;
    END LOOP;
    RETURN created;
END
$$;
COMMENT ON FUNCTION outbox.event_history_prepare(date, integer) IS
    'Creates the day partitions of outbox.event_history from first_day (UTC) on, days of them, if missing; returns how many it created.';

-- Drops the day partitions that end at or before `before`; returns how many events they held.
-- Dropping a partition locks the whole history briefly (PostgreSQL takes an ACCESS EXCLUSIVE
-- lock on the parent), so relays' marking waits for it; it waits at most 2 s for its locks (a
-- long query reading the history, e.g. a replay count) and leaves what it could not drop to a
-- later call, rather than queue the relays behind such a query.
CREATE OR REPLACE FUNCTION outbox.event_history_drop(before timestamptz)
    RETURNS bigint
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET "TimeZone" = 'UTC'
    SET lock_timeout = '2s'
AS $$
DECLARE
    part record;
    held bigint;
    dropped bigint := 0;
BEGIN
    FOR part IN
        SELECT c.relname
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'outbox.event_history'::regclass
          AND c.relname ~ '^event_history_p[0-9]{8}$'
          AND (to_date(substr(c.relname, 16), 'YYYYMMDD') + 1)::timestamptz <= before
        ORDER BY c.relname
    LOOP
        BEGIN
            EXECUTE format('LOCK TABLE outbox.%I IN ACCESS EXCLUSIVE MODE', part.relname);
            EXECUTE format('SELECT count(*) FROM outbox.%I', part.relname) INTO held;
            EXECUTE format('DROP TABLE outbox.%I', part.relname);
            dropped := dropped + held;
        EXCEPTION WHEN lock_not_available THEN
            RETURN dropped;
        END;
    END LOOP;
    RETURN dropped;
END
$$;
COMMENT ON FUNCTION outbox.event_history_drop(timestamptz) IS
    'Drops the day partitions of outbox.event_history that end at or before "before"; returns how many events they held.';

-- Moves the published events that occurred in [from_time, to_time) (of one type and aggregate
-- type, when given) back into outbox.event, with their id and seq and a fresh delivery state,
-- so that the relays deliver them again in write order per key. One statement: an event is
-- moved once, whatever is published meanwhile. Returns how many it moved and their seq range.
CREATE OR REPLACE FUNCTION outbox.event_history_replay(from_time timestamptz, to_time timestamptz,
                                                       only_type text, only_aggregatetype text,
                                                       OUT requeued bigint, OUT first_seq bigint, OUT last_seq bigint)
    LANGUAGE sql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH candidate AS (
        SELECT h.id, h.seq, h.aggregatetype, h.aggregateid, h.type, h.payload, h.headers, h.occurred_at
        FROM outbox.event_history h
        WHERE h.occurred_at >= from_time AND h.occurred_at < to_time
          AND (only_type IS NULL OR h.type = only_type)
          AND (only_aggregatetype IS NULL OR h.aggregatetype = only_aggregatetype)
    ), moved AS (
        INSERT INTO outbox.event (id, seq, aggregatetype, aggregateid, type, payload, headers, occurred_at)
        OVERRIDING SYSTEM VALUE
        SELECT id, seq, aggregatetype, aggregateid, type, payload, headers, occurred_at FROM candidate
        ON CONFLICT (id) DO NOTHING -- never two copies: one already queued stays as it is
        RETURNING id, seq
    ), removed AS (
        DELETE FROM outbox.event_history h USING moved m WHERE h.id = m.id RETURNING h.seq
    )
    SELECT count(*), min(seq), max(seq) FROM removed
$$;
COMMENT ON FUNCTION outbox.event_history_replay(timestamptz, timestamptz, text, text) IS
    'Moves published events that occurred in [from_time, to_time) back into outbox.event (same id and seq) to be delivered again; returns how many and their seq range.';

REVOKE ALL ON outbox.event_history FROM PUBLIC;
-- The relay appends published events, reads them (status, replay counts) and deletes the rest
-- of a day that `relay purge` asks for; it changes none.
GRANT SELECT, INSERT, DELETE ON outbox.event_history TO outbox_relay;

REVOKE ALL ON FUNCTION outbox.event_history_prepare(date, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION outbox.event_history_drop(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION outbox.event_history_replay(timestamptz, timestamptz, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION outbox.event_history_prepare(date, integer) TO outbox_relay;
GRANT EXECUTE ON FUNCTION outbox.event_history_drop(timestamptz) TO outbox_relay;
GRANT EXECUTE ON FUNCTION outbox.event_history_replay(timestamptz, timestamptz, text, text) TO outbox_relay;
