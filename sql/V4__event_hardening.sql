-- V4: the schema and the Java writer (OutboxEvent) enforce the same rules, and the application
-- role may insert an event's own columns only.
--
-- Rules (each a named CHECK, so a plain-SQL writer learns which rule it broke):
--   aggregatetype, aggregateid, type  contain a character that is not whitespace (as Java's
--                                     Character.isWhitespace defines it: tabs and newlines too),
--                                     at most 255 characters
--   payload                           at most 1 MiB as PostgreSQL prints it (payload::text, what
--                                     the relay reads and sends), at most 64 levels of nesting
--   headers                           at most 64 KiB as PostgreSQL prints it
--   occurred_at                       a finite time in the years 0001-9999 (RFC 3339 can write it)
--
-- Upgrading: the constraints are added NOT VALID, so applying this file to a database holding
-- rows that break a rule never fails: inserted rows (and rows re-queued with their whole
-- delivery state cleared) are checked, existing ones are not (the relay still delivers them). On an empty table they are validated at once. Later, when
-- the old rows are gone (purged), `ALTER TABLE outbox.event VALIDATE CONSTRAINT …` marks them
-- valid without blocking writers. Re-applying this file is harmless (it re-adds the checks
-- NOT VALID). sql/README.md has the measured cost of the checks on writers.

SET client_min_messages = warning; -- DROP … IF EXISTS of checks that are new is no news

DO $$
BEGIN
    -- The whitespace rule names characters above U+007F, which only a UTF8 database can hold.
    IF pg_catalog.getdatabaseencoding() <> 'UTF8' THEN
        RAISE EXCEPTION 'outbox needs a UTF8 database; % uses %', pg_catalog.current_database(),
            pg_catalog.getdatabaseencoding()
            USING HINT = 'Create the database with ENCODING ''UTF8'' and move the data there.';
    END IF;
END
$$;

-- The same 25 code points as java.lang.Character.isWhitespace (the Java writer uses this list
-- too): btrim removes every one of them, so only whitespace leaves the empty string.
-- A SQL-standard body (RETURN) is stored parsed, so inlining it into the CHECKs, which happens
-- for every INSERT statement, does not parse its text again.
CREATE OR REPLACE FUNCTION outbox.is_blank(value text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN pg_catalog.btrim(value, U&'\0009\000A\000B\000C\000D\001C\001D\001E\001F\0020\1680\2000\2001\2002\2003\2004\2005\2006\2008\2009\200A\2028\2029\205F\3000') = '';
COMMENT ON FUNCTION outbox.is_blank(text) IS
    'True when the text is empty or holds only whitespace (the characters of Java''s Character.isWhitespace).';

-- Each rule holds for a row as it is inserted or re-queued: all delivery columns at their
-- defaults (the only rows outbox_app can insert, see the grants below). The relay's own updates
-- (published_at, attempts, dead_at, next_attempt_at) skip the rules, so marking never prints a
-- payload to measure it and a row stored before V4 that breaks a rule can still be delivered or
-- given up. Re-queuing such a row (replay, retry) is refused by the rule it breaks.
ALTER TABLE outbox.event
    DROP CONSTRAINT IF EXISTS event_aggregatetype_check,
    DROP CONSTRAINT IF EXISTS event_aggregateid_check,
    DROP CONSTRAINT IF EXISTS event_type_check,
    DROP CONSTRAINT IF EXISTS event_payload_size_check,
    DROP CONSTRAINT IF EXISTS event_payload_depth_check,
    DROP CONSTRAINT IF EXISTS event_headers_size_check,
    DROP CONSTRAINT IF EXISTS event_occurred_at_check,
    ADD CONSTRAINT event_aggregatetype_check
        CHECK (
            attempts > 0 OR published_at IS NOT NULL OR dead_at IS NOT NULL
            OR next_attempt_at IS NOT NULL OR last_error IS NOT NULL
            OR (NOT outbox.is_blank(aggregatetype) AND length(aggregatetype) <= 255)) NOT VALID,
    ADD CONSTRAINT event_aggregateid_check
        CHECK (
            attempts > 0 OR published_at IS NOT NULL OR dead_at IS NOT NULL
            OR next_attempt_at IS NOT NULL OR last_error IS NOT NULL
            OR (NOT outbox.is_blank(aggregateid) AND length(aggregateid) <= 255)) NOT VALID,
    ADD CONSTRAINT event_type_check
        CHECK (
            attempts > 0 OR published_at IS NOT NULL OR dead_at IS NOT NULL
            OR next_attempt_at IS NOT NULL OR last_error IS NOT NULL
            OR (NOT outbox.is_blank(type) AND length(type) <= 255)) NOT VALID,
    -- Measured on the text PostgreSQL prints, not on what the writer sent: jsonb normalises
    -- (a 9-byte number such as 1e131071 prints as 131072 digits), and the printed text is what
    -- the relay holds in memory and hands to brokers.
    ADD CONSTRAINT event_payload_size_check
        CHECK (
            attempts > 0 OR published_at IS NOT NULL OR dead_at IS NOT NULL
            OR next_attempt_at IS NOT NULL OR last_error IS NOT NULL
            OR (octet_length(payload::text) <= 1048576)) NOT VALID,
    -- A container at level 64 (the root is level 0) is the 65th nested one. Deeper documents are
    -- refused by many consumers' parsers (.NET System.Text.Json and Json.NET stop at 64) and,
    -- from about 13,000 levels, by PostgreSQL's own parser (stack depth limit exceeded).
    ADD CONSTRAINT event_payload_depth_check
        CHECK (
            attempts > 0 OR published_at IS NOT NULL OR dead_at IS NOT NULL
            OR next_attempt_at IS NOT NULL OR last_error IS NOT NULL
            OR (NOT jsonb_path_exists(payload, 'strict $.**{64} ? (@.type() == "object" || @.type() == "array")'))) NOT VALID,
    ADD CONSTRAINT event_headers_size_check
        CHECK (
            attempts > 0 OR published_at IS NOT NULL OR dead_at IS NOT NULL
            OR next_attempt_at IS NOT NULL OR last_error IS NOT NULL
            OR (octet_length(headers::text) <= 65536)) NOT VALID,
    -- Not infinity and not BC: CloudEvents' time attribute is RFC 3339, which has years 0000-9999
    -- only (and year 0 is 1 BC in PostgreSQL).
    ADD CONSTRAINT event_occurred_at_check
        CHECK (
            attempts > 0 OR published_at IS NOT NULL OR dead_at IS NOT NULL
            OR next_attempt_at IS NOT NULL OR last_error IS NOT NULL
            OR (occurred_at >= '0001-01-01 00:00:00+00' AND occurred_at < '10000-01-01 00:00:00+00')) NOT VALID;

-- The inbox's consumer name follows the same whitespace rule as the Java Inbox.
ALTER TABLE outbox.inbox
    DROP CONSTRAINT IF EXISTS inbox_consumer_check,
    ADD CONSTRAINT inbox_consumer_check
        CHECK (NOT outbox.is_blank(consumer) AND length(consumer) <= 255) NOT VALID;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM outbox.event) THEN -- a new install: nothing to grandfather
        ALTER TABLE outbox.event
            VALIDATE CONSTRAINT event_aggregatetype_check,
            VALIDATE CONSTRAINT event_aggregateid_check,
            VALIDATE CONSTRAINT event_type_check,
            VALIDATE CONSTRAINT event_payload_size_check,
            VALIDATE CONSTRAINT event_payload_depth_check,
            VALIDATE CONSTRAINT event_headers_size_check,
            VALIDATE CONSTRAINT event_occurred_at_check;
    END IF;
    IF NOT EXISTS (SELECT FROM outbox.inbox) THEN
        ALTER TABLE outbox.inbox VALIDATE CONSTRAINT inbox_consumer_check;
    END IF;
END
$$;

-- The application inserts an event's own columns only. With table-wide INSERT it could write
-- delivery state: published_at (the event is never sent), attempts/next_attempt_at (parks its
-- key), dead_at (shows up as dead). Those columns keep their defaults; seq is assigned.
REVOKE INSERT ON outbox.event FROM outbox_app;
GRANT INSERT (id, aggregatetype, aggregateid, type, payload, headers, occurred_at) ON outbox.event TO outbox_app;

RESET client_min_messages;
