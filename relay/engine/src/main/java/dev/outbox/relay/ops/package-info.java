/**
 * The operator's toolbox: {@link dev.outbox.relay.ops.Operations} inspects and repairs an outbox
 * (status, dead letters, replay, retention purge) with only the {@code outbox_relay} role's
 * privileges, and renders its results as text tables and JSON. The {@code relay} CLI commands are
 * thin wrappers around it; embedders can call it from their own admin endpoints.
 */
package dev.outbox.relay.ops;
