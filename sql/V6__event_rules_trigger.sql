-- V6: the event rules of V1 and V4 checked by one row trigger instead of nine CHECK constraints.
-- The same rules, the same names: a refused row fails with SQLSTATE 23514 (check_violation),
-- the message "new row for relation "event" violates check constraint "<name>"" and the
-- constraint name in the error's CONSTRAINT field, as before. What changes is the cost (below).
--
-- Why: PostgreSQL keeps a CHECK constraint as the text of its expression tree and, for every
-- INSERT statement, reads that text back and plans the expression again before the first row is
-- checked. V4's seven checks are about 2 KB of tree text each (the "delivery state untouched"
-- test they share is most of it) and three inline outbox.is_blank: for a one-row INSERT, which
-- is what a writer sends, that set-up was half of the server's work. A PL/pgSQL function is
-- compiled and planned once per session; per row it runs the same tests. Measured with
-- scripts/bench-writer-checks (sql/README.md has the numbers): the server's CPU for a one-row
-- INSERT of a 1 KB event went from 154 to 68 microseconds (52 with no rules at all).
--
-- What moves: V1's event_payload_check and event_headers_check and V4's seven checks. What
-- stays a CHECK: event_attempts_check and event_final_state_check (the relay's columns, small).
--
-- When the rules apply, exactly as with the CHECKs:
--   * V1's two (payload a JSON object or array, headers an object of strings) on every row
--     written: an INSERT, and an UPDATE that writes a content column (only the table owner can).
--     Unlike the CHECK they replace, they are no longer re-checked when the relay marks a row
--     (which detoasted every payload it marked).
--   * V4's seven to a row whose delivery state is untouched (attempts 0, no published_at,
--     dead_at, next_attempt_at, last_error): an INSERT, or an UPDATE that re-queues a row
--     (relay replay, dead retry). The relay's own updates set delivery state and skip them.
--   * When a row breaks several rules, the first by constraint name is reported (the order in
--     which PostgreSQL checks CHECK constraints); a NULL in a NOT NULL column is left to the
--     NOT NULL constraint.
--
-- Upgrading: rows stored before V4 that break a rule stay deliverable, as with V4's NOT VALID
-- checks; there is nothing left to VALIDATE. Re-applying this file is harmless. Like every
-- trigger it does not fire while session_replication_role is replica (logical replication's
-- apply, pg_restore --disable-triggers): rows copied that way were checked where they came from.

SET client_min_messages = warning; -- DROP … IF EXISTS of what is not there is no news

CREATE OR REPLACE FUNCTION outbox.check_event() RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    untouched boolean;
    rule text;
    detail text;
BEGIN
    IF NEW.aggregatetype IS NULL OR NEW.aggregateid IS NULL OR NEW.type IS NULL OR NEW.payload IS NULL
            OR NEW.headers IS NULL OR NEW.occurred_at IS NULL OR NEW.attempts IS NULL THEN
        RETURN NEW; -- the NOT NULL constraint reports it
    END IF;
    untouched := NEW.attempts = 0 AND NEW.published_at IS NULL AND NEW.dead_at IS NULL
        AND NEW.next_attempt_at IS NULL AND NEW.last_error IS NULL;
    -- In constraint-name order.
    IF untouched AND (outbox.is_blank(NEW.aggregateid) OR pg_catalog.length(NEW.aggregateid) > 255) THEN
        rule := 'event_aggregateid_check';
        detail := 'aggregateid must have 1 to 255 characters, at least one of them not whitespace';
    ELSIF untouched AND (outbox.is_blank(NEW.aggregatetype) OR pg_catalog.length(NEW.aggregatetype) > 255) THEN
        rule := 'event_aggregatetype_check';
        detail := 'aggregatetype must have 1 to 255 characters, at least one of them not whitespace';
    ELSIF pg_catalog.jsonb_typeof(NEW.headers) <> 'object'
            OR pg_catalog.jsonb_path_exists(NEW.headers, '$.* ? (@.type() != "string")') THEN
        rule := 'event_headers_check';
        detail := 'headers must be a JSON object of string values';
    ELSIF untouched AND pg_catalog.octet_length(NEW.headers::text) > 65536 THEN
        rule := 'event_headers_size_check';
        detail := 'headers must be at most 65536 bytes as PostgreSQL prints them, octet_length(headers::text)';
    ELSIF untouched AND NOT (NEW.occurred_at >= '0001-01-01 00:00:00+00' AND NEW.occurred_at < '10000-01-01 00:00:00+00') THEN
        rule := 'event_occurred_at_check';
        detail := 'occurred_at must be a time in the years 0001 to 9999';
    ELSIF pg_catalog.jsonb_typeof(NEW.payload) NOT IN ('object', 'array') THEN
        rule := 'event_payload_check';
        detail := 'payload must be a JSON object or array';
    ELSIF untouched AND pg_catalog.jsonb_path_exists(NEW.payload,
            'strict $.**{64} ? (@.type() == "object" || @.type() == "array")') THEN
        rule := 'event_payload_depth_check';
        detail := 'payload must nest objects and arrays at most 64 levels deep';
    ELSIF untouched AND pg_catalog.octet_length(NEW.payload::text) > 1048576 THEN
        rule := 'event_payload_size_check';
        detail := 'payload must be at most 1048576 bytes as PostgreSQL prints it, octet_length(payload::text)';
    ELSIF untouched AND (outbox.is_blank(NEW.type) OR pg_catalog.length(NEW.type) > 255) THEN
        rule := 'event_type_check';
        detail := 'type must have 1 to 255 characters, at least one of them not whitespace';
    ELSE
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'new row for relation "%" violates check constraint "%"', TG_TABLE_NAME, rule
        USING ERRCODE = 'check_violation', CONSTRAINT = rule, SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,
            DETAIL = detail || ' (sql/README.md lists the rules)';
END
$$;
COMMENT ON FUNCTION outbox.check_event() IS
    'Trigger function: refuses an outbox.event row that breaks a rule, as check_violation naming the rule (event_*_check).';

ALTER TABLE outbox.event
    DROP CONSTRAINT IF EXISTS event_payload_check,
    DROP CONSTRAINT IF EXISTS event_headers_check,
    DROP CONSTRAINT IF EXISTS event_aggregatetype_check,
    DROP CONSTRAINT IF EXISTS event_aggregateid_check,
    DROP CONSTRAINT IF EXISTS event_type_check,
    DROP CONSTRAINT IF EXISTS event_payload_size_check,
    DROP CONSTRAINT IF EXISTS event_payload_depth_check,
    DROP CONSTRAINT IF EXISTS event_headers_size_check,
    DROP CONSTRAINT IF EXISTS event_occurred_at_check;

DROP TRIGGER IF EXISTS event_check_insert ON outbox.event;
CREATE TRIGGER event_check_insert
    BEFORE INSERT ON outbox.event
    FOR EACH ROW EXECUTE FUNCTION outbox.check_event();
COMMENT ON TRIGGER event_check_insert ON outbox.event IS
    'Checks every inserted event against the event rules (outbox.check_event).';

-- Content is written only by the table owner (the roles may not); the relay's updates leave it.
DROP TRIGGER IF EXISTS event_check_content ON outbox.event;
CREATE TRIGGER event_check_content
    BEFORE UPDATE OF aggregatetype, aggregateid, type, payload, headers, occurred_at ON outbox.event
    FOR EACH ROW EXECUTE FUNCTION outbox.check_event();
COMMENT ON TRIGGER event_check_content ON outbox.event IS
    'Checks an event whose content an UPDATE writes against the event rules (outbox.check_event).';

-- A re-queued row (delivery state cleared) is checked again; marking (state set) is not.
DROP TRIGGER IF EXISTS event_check_requeue ON outbox.event;
CREATE TRIGGER event_check_requeue
    BEFORE UPDATE ON outbox.event
    FOR EACH ROW
    WHEN (NEW.attempts = 0 AND NEW.published_at IS NULL AND NEW.dead_at IS NULL
          AND NEW.next_attempt_at IS NULL AND NEW.last_error IS NULL)
    EXECUTE FUNCTION outbox.check_event();
COMMENT ON TRIGGER event_check_requeue ON outbox.event IS
    'Checks an event that an UPDATE leaves undelivered and untried (re-queued) against the event rules.';

RESET client_min_messages;
