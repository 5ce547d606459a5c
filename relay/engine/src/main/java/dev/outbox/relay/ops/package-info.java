/**
 * The operator's toolbox: {@link dev.outbox.relay.ops.Operations} inspects and repairs an outbox
 * (status, dead letters, replay, retention purge) with only the {@code outbox_relay} role's
 * privileges. Its results are immutable values; the status report and dead events also render as
 * JSON, for scripts. Terminal output (text tables, progress bars) is not here: the {@code relay}
 * CLI commands, thin wrappers around this package, draw it. Embedders can call it from their own
 * admin endpoints.
 */
package dev.outbox.relay.ops;
