/**
 * OpenTelemetry for an embedded relay: {@link dev.outbox.relay.opentelemetry.OutboxRelayTracing},
 * passed to {@code Relay.builder(…).tracing(…)}.
 */
package dev.outbox.relay.opentelemetry;
