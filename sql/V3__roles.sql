-- V3: least-privilege roles.
--
--   outbox_app    the application: may INSERT events (never read, change or delete them) and
--                 use the inbox. Grant it to the application's login role.
--   outbox_relay  the relay: may read events and write only the delivery-state columns, and
--                 delete published events (retention). No access to the inbox or to any
--                 business table.
--
-- Both are NOLOGIN group roles: a DBA grants them to login roles, e.g.
--   CREATE ROLE orders_service LOGIN PASSWORD '…' IN ROLE outbox_app;
-- Roles are cluster-wide while grants are per database, so the roles may already exist (an
-- earlier database of the same cluster); creating them tolerates that, also concurrently.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'outbox_app') THEN
        CREATE ROLE outbox_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- created by a concurrent migration of another database
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'outbox_relay') THEN
        CREATE ROLE outbox_relay NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

COMMENT ON ROLE outbox_app IS
    'Applications writing outbox events: INSERT into outbox.event, use outbox.inbox.';
COMMENT ON ROLE outbox_relay IS
    'The outbox relay: read events, update their delivery state, purge published events.';

REVOKE ALL ON SCHEMA outbox FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA outbox FROM PUBLIC;
GRANT USAGE ON SCHEMA outbox TO outbox_app, outbox_relay;

-- Application: append-only access to events. The identity column's sequence needs no grant.
GRANT INSERT ON outbox.event TO outbox_app;
GRANT SELECT, INSERT, DELETE ON outbox.inbox TO outbox_app;

-- Relay: read everything, change only what delivery needs (column privileges keep the
-- event itself immutable), delete for retention and discard.
GRANT SELECT, DELETE ON outbox.event TO outbox_relay;
GRANT UPDATE (attempts, next_attempt_at, last_error, published_at, dead_at) ON outbox.event TO outbox_relay;
