/**
 * The transport SPI: a {@link dev.outbox.relay.spi.Transport} sends a batch and says, per event,
 * whether the destination acknowledged it; a {@link dev.outbox.relay.spi.TransportFactory} lets
 * the sidecar find it by name and create it from declared settings;
 * {@link dev.outbox.relay.spi.TransportException} says whether a failure is retryable, dead at
 * once, or an outage. Implement these to add a broker.
 */
package dev.outbox.relay.spi;
