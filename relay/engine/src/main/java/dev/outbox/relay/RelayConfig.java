package dev.outbox.relay;

import dev.outbox.core.Outbox;
import dev.outbox.core.OutboxException;
import dev.outbox.core.internal.SqlIdentifiers;
import dev.outbox.relay.spi.Durations;
import java.net.InetAddress;
import java.time.Duration;

/**
 * How a {@link Relay} claims, sends, retries and cleans up. Immutable; build it with
 * {@link #builder()}, which validates each value (messages name the property, the rule and the
 * value) and the rules between them in {@link Builder#build()}.
 *
 * @param schema schema of the outbox tables
 * @param instanceName shown by {@code status} and in {@code pg_stat_activity} as {@code outbox-relay:<name>}
 * @param batchSize events claimed per round trip
 * @param batchMaxBytes most payload and header bytes (as JSON text) claimed at once; an event
 *     larger than this on its own is never loaded: it is dead at once, with an error that says so
 * @param minPollInterval wait after a partial batch; idle waits grow from here
 * @param maxPollInterval longest wait when idle, so new events are seen within this time
 * @param listenNotify also wake up on {@code NOTIFY <schema>_event} (see sql/optional/notify.sql)
 * @param maxAttempts attempts before an event that keeps failing with retryable errors is dead
 * @param maxNonRetryableAttempts attempts before an event failing with non-retryable errors is dead
 * @param backoffBase delay before the first retry; doubles with each failure
 * @param backoffCap longest delay between retries
 * @param sendTimeout longest wait for a transport call; no answer by then is an outage: the relay
 *     pauses and sends the batch again later, charging no attempt
 * @param shutdownTimeout bound of {@link Relay#close()} as a whole: in-flight batch, releasing the
 *     slots and closing the transport
 * @param retention how long published events are kept; zero deletes them on publish
 * @param purgeInterval how often published events older than the retention are purged
 * @param purgeBatchSize rows deleted per purge statement
 * @param rebalanceInterval how often an instance checks its share of slots
 */
public record RelayConfig(
        String schema,
        String instanceName,
        int batchSize,
        int batchMaxBytes,
        Duration minPollInterval,
        Duration maxPollInterval,
        boolean listenNotify,
        int maxAttempts,
        int maxNonRetryableAttempts,
        Duration backoffBase,
        Duration backoffCap,
        Duration sendTimeout,
        Duration shutdownTimeout,
        Duration retention,
        Duration purgeInterval,
        int purgeBatchSize,
        Duration rebalanceInterval) {

    /** Smallest {@link #batchMaxBytes()}: the schema accepts payloads of up to 1 MiB, and each must fit a claim. */
    public static final int MIN_BATCH_MAX_BYTES = 1 << 20;
    /** Largest {@link #batchMaxBytes()}: 1 GiB, the longest text PostgreSQL can return. */
    public static final int MAX_BATCH_MAX_BYTES = 1 << 30;

    public static RelayConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link RelayConfig}; setters check ranges, {@link #build()} the rules between values. */
    public static final class Builder {
        private String schema = Outbox.DEFAULT_SCHEMA;
        private String instanceName = defaultInstanceName();
        private int batchSize = 500;
        // 16 MiB binds only when events average more than 32 KiB at the default batch of 500, so
        // it costs ordinary traffic nothing; the relay's peak heap for a claim is about 3-4x the
        // budget (driver buffer, Java string, the transport's encoding), which a 128 MiB heap holds.
        private int batchMaxBytes = 16 << 20;
        private Duration minPollInterval = Duration.ofMillis(10);
        private Duration maxPollInterval = Duration.ofMillis(500);
        private boolean listenNotify;
        private int maxAttempts = 10;
        private int maxNonRetryableAttempts = 1;
        private Duration backoffBase = Duration.ofSeconds(1);
        private Duration backoffCap = Duration.ofMinutes(5);
        private Duration sendTimeout = Duration.ofSeconds(30);
        private Duration shutdownTimeout = Duration.ofSeconds(10);
        private Duration retention = Duration.ofDays(7);
        private Duration purgeInterval = Duration.ofMinutes(1);
        private int purgeBatchSize = 1000;
        private Duration rebalanceInterval = Duration.ofSeconds(1);

        private Builder() {
        }

        public Builder schema(String schema) {
            SqlIdentifiers.quote("relay.schema", schema);
            this.schema = schema;
            return this;
        }

        public Builder instanceName(String instanceName) {
            if (instanceName == null || !instanceName.matches("[A-Za-z0-9._:@-]{1,40}")) {
                throw new OutboxException("relay.instanceName must be 1 to 40 characters of A-Z, a-z, 0-9, . _ : @ -"
                        + " (was " + (instanceName == null ? "null" : '"' + instanceName + '"') + ")");
            }
            this.instanceName = instanceName;
            return this;
        }

        public Builder batchSize(int batchSize) {
            this.batchSize = range("relay.batchSize", batchSize, 1, 10_000);
            return this;
        }

        /**
         * Most bytes (payload and headers as JSON text, as transports get them) one claim loads;
         * the relay's heap must hold about 4x this. Events are claimed in write order until the
         * next one would exceed it; an event larger than this alone is dead at once.
         */
        public Builder batchMaxBytes(int bytes) {
            this.batchMaxBytes = range("relay.batchMaxBytes", bytes, MIN_BATCH_MAX_BYTES, MAX_BATCH_MAX_BYTES);
            return this;
        }

        public Builder minPollInterval(Duration d) {
            this.minPollInterval = range("relay.minPollInterval", d, Duration.ZERO, Duration.ofMinutes(1));
            return this;
        }

        public Builder maxPollInterval(Duration d) {
            this.maxPollInterval = range("relay.maxPollInterval", d, Duration.ofMillis(1), Duration.ofMinutes(5));
            return this;
        }

        public Builder listenNotify(boolean listenNotify) {
            this.listenNotify = listenNotify;
            return this;
        }

        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = range("relay.maxAttempts", maxAttempts, 1, 1000);
            return this;
        }

        public Builder maxNonRetryableAttempts(int attempts) {
            this.maxNonRetryableAttempts = range("relay.maxNonRetryableAttempts", attempts, 1, 1000);
            return this;
        }

        public Builder backoffBase(Duration d) {
            this.backoffBase = range("relay.backoffBase", d, Duration.ofMillis(1), Duration.ofHours(1));
            return this;
        }

        public Builder backoffCap(Duration d) {
            this.backoffCap = range("relay.backoffCap", d, Duration.ofMillis(1), Duration.ofDays(1));
            return this;
        }

        public Builder sendTimeout(Duration d) {
            this.sendTimeout = range("relay.sendTimeout", d, Duration.ofMillis(10), Duration.ofMinutes(10));
            return this;
        }

        public Builder shutdownTimeout(Duration d) {
            this.shutdownTimeout = range("relay.shutdownTimeout", d, Duration.ZERO, Duration.ofMinutes(10));
            return this;
        }

        public Builder retention(Duration d) {
            this.retention = range("relay.retention", d, Duration.ZERO, Duration.ofDays(3650));
            return this;
        }

        public Builder purgeInterval(Duration d) {
            this.purgeInterval = range("relay.purgeInterval", d, Duration.ofMillis(100), Duration.ofDays(1));
            return this;
        }

        public Builder purgeBatchSize(int n) {
            this.purgeBatchSize = range("relay.purgeBatchSize", n, 1, 100_000);
            return this;
        }

        public Builder rebalanceInterval(Duration d) {
            this.rebalanceInterval = range("relay.rebalanceInterval", d, Duration.ofMillis(10), Duration.ofMinutes(5));
            return this;
        }

        public RelayConfig build() {
            if (minPollInterval.compareTo(maxPollInterval) > 0) {
                throw new OutboxException("relay.minPollInterval must be <= relay.maxPollInterval (was "
                        + Durations.format(minPollInterval) + " > " + Durations.format(maxPollInterval) + ")");
            }
            if (backoffBase.compareTo(backoffCap) > 0) {
                throw new OutboxException("relay.backoffBase must be <= relay.backoffCap (was "
                        + Durations.format(backoffBase) + " > " + Durations.format(backoffCap) + ")");
            }
            return new RelayConfig(schema, instanceName, batchSize, batchMaxBytes, minPollInterval, maxPollInterval, listenNotify,
                    maxAttempts, maxNonRetryableAttempts, backoffBase, backoffCap, sendTimeout, shutdownTimeout,
                    retention, purgeInterval, purgeBatchSize, rebalanceInterval);
        }

        private static int range(String name, int value, int min, int max) {
            if (value < min || value > max) {
                throw new OutboxException(name + " must be between " + min + " and " + max + " (was " + value + ")");
            }
            return value;
        }

        private static Duration range(String name, Duration value, Duration min, Duration max) {
            if (value == null || value.compareTo(min) < 0 || value.compareTo(max) > 0) {
                throw new OutboxException(name + " must be between " + Durations.format(min) + " and "
                        + Durations.format(max) + " (was " + (value == null ? "null" : Durations.format(value)) + ")");
            }
            return value;
        }

        private static String defaultInstanceName() {
            String host;
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (Exception e) {
                host = "relay";
            }
            String pid = String.valueOf(ProcessHandle.current().pid());
            String name = host.replaceAll("[^A-Za-z0-9._-]", "-");
            name = name.substring(0, Math.min(name.length(), 40 - pid.length() - 1));
            return name + "-" + pid;
        }
    }
}
