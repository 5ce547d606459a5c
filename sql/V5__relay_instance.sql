-- V5: each running relay's own state, for `relay status` in another process.
--
-- A relay knows whether it is delivering, paused on a broker outage or failing; an operator
-- running `relay status` elsewhere does not. Each relay keeps one row here about its own
-- database session, written only when its state changes (connect, transport paused/resumed,
-- …), never per batch. Liveness is not read from this table: status lists the sessions that
-- hold a relay membership advisory lock (pg_locks) and joins their rows by backend pid, so the
-- row of a relay that crashed is ignored at once. Such rows are deleted by the next relay that
-- opens a session (rows whose pid holds no membership lock); a relay that stops cleanly deletes
-- its own.

CREATE TABLE IF NOT EXISTS outbox.relay_instance (
    pid         integer     NOT NULL,
    name        text        NOT NULL,
    phase       text        NOT NULL,
    since       timestamptz NOT NULL,
    last_error  text,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT relay_instance_pkey PRIMARY KEY (pid),
    CONSTRAINT relay_instance_phase_check CHECK (phase IN
        ('STARTING', 'RUNNING', 'TRANSPORT_PAUSED', 'DATABASE_UNAVAILABLE', 'FAILING', 'STOPPED')),
    CONSTRAINT relay_instance_last_error_check CHECK (length(last_error) <= 2000)
);

COMMENT ON TABLE outbox.relay_instance IS
    'One row per relay session: its state as the relay sees it. Only rows whose pid holds the relay membership advisory lock are live.';
COMMENT ON COLUMN outbox.relay_instance.pid IS
    'Backend pid of the relay''s database session (pg_backend_pid()); joins pg_locks and pg_stat_activity.';
COMMENT ON COLUMN outbox.relay_instance.name IS
    'Instance name (OUTBOX_INSTANCE_NAME), also in the session''s application_name as outbox-relay:<name>.';
COMMENT ON COLUMN outbox.relay_instance.phase IS
    'RUNNING (delivering), TRANSPORT_PAUSED (broker unreachable: nothing sent or charged), DATABASE_UNAVAILABLE, FAILING (unexpected error, backing off), STARTING, STOPPED.';
COMMENT ON COLUMN outbox.relay_instance.since IS
    'When the relay entered this phase (the relay''s clock).';
COMMENT ON COLUMN outbox.relay_instance.last_error IS
    'Why the relay is not delivering (free of secrets); NULL while running.';
COMMENT ON COLUMN outbox.relay_instance.updated_at IS
    'When the relay last wrote this row (the database''s clock); rows change only when the state does.';
COMMENT ON INDEX outbox.relay_instance_pkey IS
    'One row per relay session; a new session that reuses a dead one''s pid replaces its row.';

REVOKE ALL ON outbox.relay_instance FROM PUBLIC;
-- Relay (and operators, who use the relay's grants): each relay writes its own row and deletes
-- the rows of sessions that are gone.
GRANT SELECT, INSERT, UPDATE, DELETE ON outbox.relay_instance TO outbox_relay;
