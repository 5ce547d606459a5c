/**
 * The relay engine's implementation: the claim/send/mark loop, slot ownership, SQL, backoff.
 *
 * <p><b>Not a supported API.</b> These classes are public only so that the engine's packages
 * can share them; they may change or disappear in any release without notice. Use
 * {@link dev.outbox.relay.Relay}, {@link dev.outbox.relay.RelayConfig}, the SPI
 * ({@code dev.outbox.relay.spi}) and the operator operations ({@code dev.outbox.relay.ops}).
 */
package dev.outbox.relay.internal;
