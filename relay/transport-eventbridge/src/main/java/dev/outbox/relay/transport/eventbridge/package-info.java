/**
 * The {@code eventbridge} transport: every outbox event as one Amazon EventBridge
 * {@code PutEvents} entry (AWS SDK for Java v2), its {@code Detail} the event as a CloudEvents
 * JSON document with the payload as {@code data}. Entry point:
 * {@link dev.outbox.relay.transport.eventbridge.EventBridgeTransportFactory}; wire format:
 * {@link dev.outbox.relay.transport.eventbridge.EventBridgeEntries}.
 */
package dev.outbox.relay.transport.eventbridge;
