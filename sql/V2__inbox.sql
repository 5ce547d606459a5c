-- V2: the inbox, where consumers record the events they have processed.
--
-- A consumer inserts (consumer, event_id) in the same transaction as its side effect. The
-- primary key makes a second delivery of the same event a no-op: the insert finds the row
-- (or waits for the concurrent transaction holding it) and the consumer skips the work.

CREATE TABLE IF NOT EXISTS outbox.inbox (
    consumer     text        NOT NULL,
    event_id     uuid        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT inbox_pkey PRIMARY KEY (consumer, event_id),
    CONSTRAINT inbox_consumer_check CHECK (length(btrim(consumer)) > 0 AND length(consumer) <= 255)
);

COMMENT ON TABLE outbox.inbox IS
    'Events already processed, per consumer: a redelivered event finds its row here and has no second effect.';
COMMENT ON COLUMN outbox.inbox.consumer IS
    'Name of the consuming component (e.g. inventory); each consumer processes every event once.';
COMMENT ON COLUMN outbox.inbox.event_id IS
    'Id of the processed event (outbox.event.id as received from the broker).';
COMMENT ON COLUMN outbox.inbox.processed_at IS
    'When the consumer processed the event; rows older than the retention are purged.';

CREATE INDEX IF NOT EXISTS inbox_processed_at_idx ON outbox.inbox (consumer, processed_at);
COMMENT ON INDEX outbox.inbox_processed_at_idx IS
    'Retention purge: oldest processed events of a consumer first.';
