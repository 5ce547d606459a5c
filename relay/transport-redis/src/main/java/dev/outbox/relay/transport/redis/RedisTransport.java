package dev.outbox.relay.transport.redis;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.config.Redaction;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.transport.TransportBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.SslOptions;
import redis.clients.jedis.SslVerifyMode;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.XAddParams;

/**
 * Appends every event as one entry to a Redis stream ({@code XADD <prefix><destination>
 * [MAXLEN ~ n] * field value …}, fields as in {@link RedisStreamFields}). Created by
 * {@link RedisTransportFactory} ({@code OUTBOX_TRANSPORT=redis}) or, when embedding the relay, by
 * {@link #builder()}; called by the relay, one thread at a time.
 *
 * <p><b>Acknowledged</b> means Redis replied to the event's {@code XADD} with an entry id: the
 * entry is in the server's memory and visible to readers. How durable that is depends on the
 * server: with {@code appendonly yes} and {@code appendfsync always} it is on disk; with the
 * default {@code everysec} up to a second of writes can be lost in a server crash; without AOF
 * (or with asynchronous replicas only) a crash or failover can lose acknowledged entries.
 * Configure the server accordingly.
 *
 * <p><b>Efficiency.</b> A batch is one pipeline on one pooled connection: all {@code XADD}s are
 * written, then all replies read, one round trip per batch. The relay hands over whole batches
 * in write order ({@link #keepsOrderWithinBatch}), so a key's entries reach a stream in that order.
 *
 * <p><b>Failures.</b>
 * <ul>
 *   <li>Server unreachable, connection refused or lost, read timed out (a stalled server),
 *       handshake refused (authentication) → an outage of the whole batch
 *       ({@link TransportException#outage}, thrown); the broken connection is discarded and the
 *       next batch connects anew. Entries written before the connection broke may exist: the
 *       retry can duplicate them (at-least-once).</li>
 *   <li>A field (the payload, usually) longer than the server's {@code proto-max-bulk-len}
 *       (read once with {@code CONFIG GET}; 512 MB, Redis' default, where that is not allowed) →
 *       that event fails, not retryable, naming the size and the limit, before anything is sent:
 *       the server would answer with a protocol error and close the connection, failing the whole
 *       batch every time.</li>
 *   <li>Server-state errors that pass ({@code OOM}, {@code LOADING}, {@code BUSY},
 *       {@code READONLY}, {@code MASTERDOWN}, {@code MISCONF}, {@code TRYAGAIN},
 *       {@code CLUSTERDOWN}, {@code NOREPLICAS}) → that event fails retryable; when no event of
 *       the batch was accepted and all failed this way, the whole batch fails instead (the server
 *       is not taking writes: an outage, which does not charge the events an attempt).</li>
 *   <li>Any other command error repeats for that event ({@code WRONGTYPE}: the key exists and is
 *       not a stream; {@code NOPERM}; {@code ERR …}) → that event fails, not retryable.</li>
 *   <li>No route for the event → that event fails, not retryable.</li>
 * </ul>
 * A call is bounded by {@code OUTBOX_REDIS_TIMEOUT} per connect and per read; keep it below the
 * relay's send timeout, because a blocked socket read does not react to interruption. Client
 * messages go through a scrubber of the password before they reach a message or a cause.
 */
public final class RedisTransport implements Transport {
    /** Error codes of conditions of the server that pass without anything changing on our side. */
    private static final Set<String> SERVER_STATE_ERRORS = Set.of("OOM", "LOADING", "BUSY", "READONLY",
            "MASTERDOWN", "MISCONF", "TRYAGAIN", "CLUSTERDOWN", "NOREPLICAS");
    static final String PROTO_MAX_BULK_LEN = "proto-max-bulk-len";
    /** Redis' default proto-max-bulk-len, assumed when CONFIG GET is not allowed. */
    static final long DEFAULT_PROTO_MAX_BULK_LEN = 512L * 1024 * 1024;

    private final RedisSettings settings;
    private final RedisClient client;
    private final XAddParams addParams;
    private final UnaryOperator<String> scrub;
    /** The server's proto-max-bulk-len, read on the first batch; -1 until then. */
    private volatile long maxBulkLength = -1;

    private RedisTransport(RedisSettings settings, List<String> secrets) {
        this.settings = settings;
        List<String> scrubbed = new ArrayList<>(secrets);
        if (settings.password() != null) {
            scrubbed.add(settings.password()); // the URL is the secret; clients quote the password on its own
        }
        this.scrub = Redaction.scrubber(scrubbed);
        this.client = RedisClient.builder()
                .hostAndPort(settings.host(), settings.port())
                .clientConfig(clientConfig(settings))
                .poolConfig(poolConfig(settings.timeout()))
                .build();
        XAddParams params = XAddParams.xAddParams();
        if (settings.maxLen() > 0) {
            // Approximate trimming removes whole radix-tree nodes only: far cheaper than exact.
            params = params.maxLen(settings.maxLen()).approximateTrimming();
        }
        this.addParams = params;
    }

    /**
     * Creates the transport from validated values of {@code RedisSettings.MODEL}; connects lazily,
     * so a server that is down at start-up only delays the first batch.
     */
    static RedisTransport create(ConfigValues values) {
        return new RedisTransport(RedisSettings.from(values), values.secrets());
    }

    /** A builder for embedding the relay, checking each value as the environment keys are checked. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public List<SendResult> send(List<OutboxMessage> batch) {
        SendResult[] results = new SendResult[batch.size()];
        List<Integer> sent = new ArrayList<>(batch.size());
        List<String> keys = new ArrayList<>(batch.size());
        List<Map<String, String>> entries = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            OutboxMessage m = batch.get(i);
            String destination;
            try {
                destination = settings.router().destination(m);
            } catch (OutboxException e) {
                results[i] = SendResult.failed(m.id(), TransportException.permanent(e.getMessage(), e));
                continue;
            }
            sent.add(i);
            keys.add(settings.keyPrefix() + destination);
            entries.add(RedisStreamFields.of(CloudEvent.of(m, settings.source())));
        }
        if (sent.isEmpty()) {
            return List.of(results);
        }

        List<Response<StreamEntryID>> replies = new ArrayList<>(sent.size());
        try {
            long maxBulk = maxBulkLength();
            for (int j = sent.size() - 1; j >= 0; j--) {
                String tooLong = tooLong(keys.get(j), entries.get(j), maxBulk);
                if (tooLong != null) {
                    int i = sent.remove(j);
                    keys.remove(j);
                    entries.remove(j);
                    results[i] = SendResult.failed(batch.get(i).id(), TransportException.permanent(tooLong, null));
                }
            }
            if (sent.isEmpty()) {
                return Arrays.asList(results);
            }
            try (Pipeline pipeline = client.pipelined()) {
                for (int j = 0; j < sent.size(); j++) {
                    replies.add(pipeline.xadd(keys.get(j), addParams, entries.get(j)));
                }
                pipeline.sync();
            }
        } catch (JedisConnectionException e) {
            throw TransportException.outage("Redis at " + settings.address() + " is unreachable or the connection"
                    + " was lost (entries of this batch may have been added): " + scrub.apply(e.getMessage()),
                    Redaction.copy(e, scrub));
        } catch (JedisException e) {
            // Refused while connecting (AUTH, SELECT, HELLO): nothing was sent.
            throw TransportException.outage("Redis at " + settings.address() + " refused the connection: "
                    + scrub.apply(e.getMessage()), Redaction.copy(e, scrub));
        }

        for (int j = 0; j < sent.size(); j++) {
            int i = sent.get(j);
            OutboxMessage m = batch.get(i);
            try {
                replies.get(j).get();
                results[i] = SendResult.acknowledged(m.id());
            } catch (JedisDataException e) {
                boolean retryable = isServerStateError(e.getMessage());
                String message = "Redis refused XADD to stream " + keys.get(j) + ": " + scrub.apply(e.getMessage());
                results[i] = SendResult.failed(m.id(), new TransportException(message, retryable, null));
            }
        }
        // Every event of the batch, those failed before sending too: only a batch that the server
        // refused as a whole for its state (the retryable errors) is not taking writes.
        List<SendResult> all = Arrays.asList(results);
        SendResult.wholeBatchFailure(all, TransportException::retryable).ifPresent(notTakingWrites -> {
            throw notTakingWrites;
        });
        return all;
    }

    /**
     * The server's proto-max-bulk-len, asked once; Redis' default where CONFIG is not allowed (ACL,
     * renamed command, managed service).
     *
     * @throws JedisConnectionException if the server cannot be reached
     */
    private long maxBulkLength() {
        long known = maxBulkLength;
        if (known < 0) {
            try {
                String value = client.configGet(PROTO_MAX_BULK_LEN).get(PROTO_MAX_BULK_LEN);
                known = value == null ? DEFAULT_PROTO_MAX_BULK_LEN : Long.parseLong(value.strip());
            } catch (JedisDataException | NumberFormatException e) {
                known = DEFAULT_PROTO_MAX_BULK_LEN;
            }
            maxBulkLength = known;
        }
        return known;
    }

    /** Why one argument of this XADD is longer than the server accepts, or {@code null}. */
    private static String tooLong(String key, Map<String, String> fields, long maxBulk) {
        if (key.getBytes(StandardCharsets.UTF_8).length > maxBulk) {
            return "the stream key is longer than the server's " + PROTO_MAX_BULK_LEN + " of " + maxBulk + " bytes";
        }
        for (Map.Entry<String, String> field : fields.entrySet()) {
            long size = field.getValue().getBytes(StandardCharsets.UTF_8).length;
            if (size > maxBulk) {
                return "field " + field.getKey() + " of the stream entry is " + size + " bytes, more than the server's "
                        + PROTO_MAX_BULK_LEN + " of " + maxBulk + " bytes (raise " + PROTO_MAX_BULK_LEN
                        + " in the server's configuration or make the event smaller)";
            }
        }
        return null;
    }

    /** Whether a Redis error reply names a passing condition of the server rather than of the command. */
    static boolean isServerStateError(String errorReply) {
        if (errorReply == null) {
            return false;
        }
        String text = errorReply.strip();
        int space = text.indexOf(' ');
        String code = (space < 0 ? text : text.substring(0, space)).toUpperCase(Locale.ROOT);
        return SERVER_STATE_ERRORS.contains(code);
    }

    /** Closes the pool's connections; returns promptly (no network wait beyond a socket close). */
    /**
     * Yes: the batch is one pipeline on one connection, and Redis runs a connection's commands in
     * the order they arrive; a lost connection is not replayed (the pipeline fails).
     */
    @Override
    public boolean keepsOrderWithinBatch() {
        return true;
    }

    /** OpenTelemetry's {@code messaging.system} value for this broker. */
    @Override
    public String system() {
        return "redis";
    }

    /** The stream the event's route names; {@code null} when none does. */
    @Override
    public String destination(OutboxMessage message) {
        return settings.router().destinationIfRoutable(message);
    }

    @Override
    public void close() {
        client.close();
    }

    private static DefaultJedisClientConfig clientConfig(RedisSettings s) {
        int timeoutMillis = Math.toIntExact(s.timeout().toMillis());
        DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(timeoutMillis)
                .socketTimeoutMillis(timeoutMillis)
                .database(s.database())
                .clientName("outbox-relay");
        if (s.user() != null) {
            config.user(s.user());
        }
        if (s.password() != null) {
            config.password(s.password());
        }
        if (s.tls()) {
            // FULL: the certificate chain (JVM trust store, javax.net.ssl.trustStore) and the host name.
            config.sslOptions(SslOptions.builder().sslVerifyMode(SslVerifyMode.FULL).build());
        }
        return config.build();
    }

    private static ConnectionPoolConfig poolConfig(Duration timeout) {
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        // One relay thread sends at a time: one connection in use, one spare.
        pool.setMaxTotal(2);
        pool.setMaxIdle(2);
        pool.setMinIdle(0);
        pool.setMaxWait(timeout);
        return pool;
    }

    /**
     * Configures a {@code redis} transport in code, one setter per setting of
     * {@link RedisTransportFactory#config()} (the sidecar's {@code OUTBOX_REDIS_*} keys, which
     * document each).
     * Each setter checks its value at once; {@link #build()} checks that the URL is set and creates
     * the transport exactly as {@link RedisTransportFactory} does, without connecting. Failures are
     * {@link dev.outbox.core.OutboxException}s naming the property ({@code redis.timeout}), the rule
     * and the value, never the password. Not thread-safe; use one builder per transport.
     *
     * <pre>{@code
     * Transport redis = RedisTransport.builder().url("redis://127.0.0.1:6379").routes("Order=orders").build();
     * }</pre>
     */
    public static final class Builder extends TransportBuilder<Builder> {
        private Builder() {
            super(RedisSettings.MODEL, RedisSettings.ROUTE_DEFAULT);
        }

        /** Required: {@code redis://[user:password@]host[:port][/db]}, {@code rediss://…} for TLS. */
        public Builder url(String url) {
            return set(RedisSettings.URL, url);
        }

        /** Put before the destination to form the stream key; default empty. */
        public Builder keyPrefix(String keyPrefix) {
            return set(RedisSettings.KEY_PREFIX, keyPrefix);
        }

        /** Cap each stream at about this many entries (1 or more); default: no trimming. */
        public Builder maxLen(int maxLen) {
            return set(RedisSettings.MAXLEN, maxLen);
        }

        /** Connect and read timeout, 1ms to 10m; default 5s. */
        public Builder timeout(Duration timeout) {
            return set(RedisSettings.TIMEOUT, timeout);
        }

        /**
         * The transport; it connects on its first batch.
         *
         * @throws dev.outbox.core.OutboxException if the URL was not set
         */
        @Override
        public Transport build() {
            return create(values.build());
        }
    }
}
