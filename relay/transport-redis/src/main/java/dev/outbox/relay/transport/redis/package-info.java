/**
 * The {@code redis} transport: every outbox event as one Redis Streams entry ({@code XADD}),
 * CloudEvents attributes as {@code ce_*} fields, other headers as {@code h_*} fields and the
 * payload as {@code data}. Entry point: {@link dev.outbox.relay.transport.redis.RedisTransportFactory};
 * wire format: {@link dev.outbox.relay.transport.redis.RedisStreamFields}.
 */
package dev.outbox.relay.transport.redis;
