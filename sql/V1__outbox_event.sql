-- V1: the outbox schema and its event table.
--
-- Applications INSERT one row per event in the same transaction as their business change;
-- the relay reads undelivered rows in `seq` order, hands them to a broker and records the
-- outcome in the delivery columns. Column names id, aggregatetype, aggregateid, type and
-- payload follow Debezium's outbox convention, so a CDC connector can replace the polling
-- relay later without renaming anything.

CREATE SCHEMA IF NOT EXISTS outbox;
COMMENT ON SCHEMA outbox IS
    'Transactional outbox: events written with business data, forwarded to brokers by the relay.';

-- UUIDv7 (RFC 9562): 48-bit Unix time in milliseconds, then random bits. Time-ordered ids keep
-- the primary key index append-mostly. The Java writer makes its own ids; this function is the
-- column default for writers in other languages (PostgreSQL 15 has no built-in uuidv7()).
CREATE OR REPLACE FUNCTION outbox.uuid_v7() RETURNS uuid
    LANGUAGE sql VOLATILE PARALLEL SAFE
AS $$
    SELECT encode(
        set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid())
                    PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                    FROM 1 FOR 6),
            52, 1), 53, 1),
        'hex')::uuid
$$;
COMMENT ON FUNCTION outbox.uuid_v7() IS
    'Returns a new UUIDv7 (time-ordered); default for outbox.event.id.';

CREATE TABLE IF NOT EXISTS outbox.event (
    id              uuid        NOT NULL DEFAULT outbox.uuid_v7(),
    seq             bigint      NOT NULL GENERATED ALWAYS AS IDENTITY,
    aggregatetype   text        NOT NULL,
    aggregateid     text        NOT NULL,
    type            text        NOT NULL,
    payload         jsonb       NOT NULL,
    headers         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    occurred_at     timestamptz NOT NULL DEFAULT now(),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    last_error      text,
    published_at    timestamptz,
    dead_at         timestamptz,
    -- Keys are spread over 64 slots; each relay instance owns a share of the slots, so all
    -- events of one key go through one instance at a time. hashtextextended is stable across
    -- PostgreSQL versions (hash partitioning relies on it).
    slot            smallint    NOT NULL GENERATED ALWAYS AS
                        ((hashtextextended(aggregatetype || '/' || aggregateid, 0) & 63)::smallint) STORED,
    CONSTRAINT event_pkey PRIMARY KEY (id),
    CONSTRAINT event_seq_key UNIQUE (seq),
    CONSTRAINT event_aggregatetype_check CHECK (length(btrim(aggregatetype)) > 0 AND length(aggregatetype) <= 255),
    CONSTRAINT event_aggregateid_check   CHECK (length(btrim(aggregateid)) > 0 AND length(aggregateid) <= 255),
    CONSTRAINT event_type_check          CHECK (length(btrim(type)) > 0 AND length(type) <= 255),
    CONSTRAINT event_payload_check       CHECK (jsonb_typeof(payload) IN ('object', 'array')),
    CONSTRAINT event_headers_check       CHECK (jsonb_typeof(headers) = 'object'
                                                AND NOT jsonb_path_exists(headers, '$.* ? (@.type() != "string")')),
    CONSTRAINT event_attempts_check      CHECK (attempts >= 0),
    CONSTRAINT event_final_state_check   CHECK (published_at IS NULL OR dead_at IS NULL)
);

COMMENT ON TABLE outbox.event IS
    'One row per event, inserted by the application in its own transaction; delivered by the relay at least once.';
COMMENT ON COLUMN outbox.event.id IS
    'Event id (UUIDv7, made by the writer). Sent to brokers as the message/CloudEvents id; consumers deduplicate on it.';
COMMENT ON COLUMN outbox.event.seq IS
    'Commit-independent write order, assigned by the database. Orders events of one key; never used as a "last seen" cursor.';
COMMENT ON COLUMN outbox.event.aggregatetype IS
    'Kind of entity the event is about (e.g. Order); with aggregateid it forms the ordering key; routes to a destination.';
COMMENT ON COLUMN outbox.event.aggregateid IS
    'Id of the entity the event is about; events of one (aggregatetype, aggregateid) are delivered in seq order. Broker message key.';
COMMENT ON COLUMN outbox.event.type IS
    'Event type, past tense (e.g. OrderPlaced). Sent as the CloudEvents type.';
COMMENT ON COLUMN outbox.event.payload IS
    'Event body: a JSON object or array. Sent unchanged as the message body.';
COMMENT ON COLUMN outbox.event.headers IS
    'String-valued metadata: W3C traceparent/tracestate, correlationid, custom headers. Sent as message headers.';
COMMENT ON COLUMN outbox.event.occurred_at IS
    'When the event happened, as stated by the writer.';
COMMENT ON COLUMN outbox.event.attempts IS
    'Relay: number of failed delivery attempts so far.';
COMMENT ON COLUMN outbox.event.next_attempt_at IS
    'Relay: earliest time of the next delivery attempt after a failure (NULL: as soon as possible).';
COMMENT ON COLUMN outbox.event.last_error IS
    'Relay: the last delivery error, for operators.';
COMMENT ON COLUMN outbox.event.published_at IS
    'Relay: when a broker acknowledged the event. Published rows are kept for the retention period, then purged.';
COMMENT ON COLUMN outbox.event.dead_at IS
    'Relay: when the event was given up after its last attempt. Dead events stay until an operator retries or discards them.';
COMMENT ON COLUMN outbox.event.slot IS
    'Relay: 0..63, derived from the ordering key; a relay instance owns a slot with a session advisory lock.';

-- The relay's claim query only looks at undelivered rows; this partial index keeps its cost
-- independent of how many published rows are retained. The claim query must repeat the
-- predicate exactly, or PostgreSQL will not use the index.
CREATE INDEX IF NOT EXISTS event_undelivered_idx
    ON outbox.event (seq)
    WHERE published_at IS NULL AND dead_at IS NULL;
COMMENT ON INDEX outbox.event_undelivered_idx IS
    'Undelivered events in write order: the relay''s work queue.';

-- Retention purge and replay select published rows by time.
CREATE INDEX IF NOT EXISTS event_published_at_idx
    ON outbox.event (published_at)
    WHERE published_at IS NOT NULL;
COMMENT ON INDEX outbox.event_published_at_idx IS
    'Published events by publication time: retention purge and replay.';

-- A failed event holds back the later events of its key (until it is delivered, or while it is
-- dead). The claim query probes this index per candidate; it only holds events that failed at
-- least once, so it stays tiny while deliveries succeed.
CREATE INDEX IF NOT EXISTS event_failed_key_idx
    ON outbox.event (aggregatetype, aggregateid, seq)
    WHERE published_at IS NULL AND attempts > 0;
COMMENT ON INDEX outbox.event_failed_key_idx IS
    'Undelivered events that failed at least once, by ordering key: which keys are held back.';

CREATE INDEX IF NOT EXISTS event_dead_idx
    ON outbox.event (dead_at)
    WHERE dead_at IS NOT NULL;
COMMENT ON INDEX outbox.event_dead_idx IS
    'Dead events: operator listing and the dead-count metric.';
