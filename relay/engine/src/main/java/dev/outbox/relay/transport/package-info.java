/**
 * What the built-in broker transports share: {@link dev.outbox.relay.transport.Router} (event →
 * destination from configuration) and {@link dev.outbox.relay.transport.CloudEvent} (the
 * CloudEvents 1.0 binary-mode attributes of an event). Each transport lives in a subpackage
 * ({@code kafka}, {@code rabbitmq}, {@code nats}, {@code redis}, {@code http}, {@code log}).
 */
package dev.outbox.relay.transport;
