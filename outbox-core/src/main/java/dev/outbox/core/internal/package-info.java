/**
 * Helpers shared by outbox-core and the relay (identifier quoting, stored-text checks).
 *
 * <p><b>Not a supported API.</b> Public only so that the project's modules can share them; they
 * may change or disappear in any release without notice. Use {@link dev.outbox.core.Outbox},
 * {@link dev.outbox.core.OutboxEvent} and {@link dev.outbox.core.Inbox}.
 */
package dev.outbox.core.internal;
