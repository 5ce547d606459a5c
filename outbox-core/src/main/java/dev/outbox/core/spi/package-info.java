/**
 * Service interfaces that optional modules implement to extend the writer without adding
 * dependencies to outbox-core: {@link dev.outbox.core.spi.ContextHeaders} (trace context, e.g.
 * from {@code outbox-opentelemetry}).
 */
package dev.outbox.core.spi;
