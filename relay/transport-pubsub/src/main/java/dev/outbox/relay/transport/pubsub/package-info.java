/**
 * The {@code pubsub} transport: every outbox event as one Google Cloud Pub/Sub message, published
 * with message ordering by the event's key, CloudEvents attributes as {@code ce-*} message
 * attributes and the payload as data. Entry point:
 * {@link dev.outbox.relay.transport.pubsub.PubSubTransportFactory}; wire format:
 * {@link dev.outbox.relay.transport.pubsub.PubSubMessages}.
 */
package dev.outbox.relay.transport.pubsub;
