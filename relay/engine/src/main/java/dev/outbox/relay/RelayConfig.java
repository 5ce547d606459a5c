package dev.outbox.relay;

import static dev.outbox.relay.config.Setting.between;

import dev.outbox.core.Outbox;
import dev.outbox.core.internal.SqlIdentifiers;
import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.config.Rule;
import dev.outbox.relay.config.Setting;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How a {@link Relay} claims, sends, retries and cleans up. Immutable and always valid: build it
 * with {@link #builder()}, whose setters check each value (messages name the property, the rule
 * and the value) and whose {@link Builder#build()} checks the rules between them, or from
 * validated {@link ConfigValues} of {@link #MODEL} (the sidecar reads them from the environment).
 * Each setting is declared once below; its environment name is the sidecar's key.
 */
public final class RelayConfig {
    /** Smallest {@link #batchMaxBytes()}: the schema accepts payloads of up to 1 MiB, and each must fit a claim. */
    public static final int MIN_BATCH_MAX_BYTES = 1 << 20;
    /** Largest {@link #batchMaxBytes()}: 1 GiB, the longest text PostgreSQL can return. */
    public static final int MAX_BATCH_MAX_BYTES = 1 << 30;

    public static final Setting<String> SCHEMA = Setting.text("relay.schema", "OUTBOX_SCHEMA")
            .defaultValue(Outbox.DEFAULT_SCHEMA).check(SqlIdentifiers::problem)
            .description("Schema of the outbox tables (a plain SQL identifier).").build();
    public static final Setting<String> INSTANCE_NAME = Setting.text("relay.instanceName", "OUTBOX_INSTANCE_NAME")
            .defaultValue(defaultInstanceName()).shownDefault("<host>-<pid>")
            .matching(Pattern.compile("[A-Za-z0-9._:@-]{1,40}"), "1 to 40 characters of A-Z, a-z, 0-9, . _ : @ -")
            .description("Shown by `status` and in `pg_stat_activity` as `outbox-relay:<name>`.").build();
    public static final Setting<Integer> BATCH_SIZE = Setting.integer("relay.batchSize", "OUTBOX_BATCH_SIZE")
            .defaultValue(500).check(between(1, 10_000)).description("Events claimed per round trip.").build();
    // 16 MiB binds only when events average more than 32 KiB at the default batch of 500, so it
    // costs ordinary traffic nothing; the relay's peak heap for a claim is about 3-4x the budget
    // (driver buffer, Java string, the transport's encoding), which a 128 MiB heap holds.
    public static final Setting<Integer> BATCH_MAX_BYTES = Setting.integer("relay.batchMaxBytes", "OUTBOX_BATCH_MAX_BYTES")
            .defaultValue(16 << 20).check(between(MIN_BATCH_MAX_BYTES, MAX_BATCH_MAX_BYTES))
            .description("Most bytes of payload and headers (JSON text) one claim loads; give the relay a heap of about"
                    + " 4× this plus 64 MiB. 16 MiB binds only when events average more than 32 KiB; a larger event"
                    + " alone is dead at once, with an error that says so.").build();
    public static final Setting<Duration> MIN_POLL_INTERVAL = Setting.duration("relay.minPollInterval",
                    "OUTBOX_MIN_POLL_INTERVAL").defaultValue(Duration.ofMillis(10))
            .check(between(Duration.ZERO, Duration.ofMinutes(1)))
            .description("Wait after a partial batch; idle waits double from here.").build();
    public static final Setting<Duration> MAX_POLL_INTERVAL = Setting.duration("relay.maxPollInterval",
                    "OUTBOX_MAX_POLL_INTERVAL").defaultValue(Duration.ofMillis(500))
            .check(between(Duration.ofMillis(1), Duration.ofMinutes(5)))
            .description("Longest idle wait: new events are seen within this time.").build();
    public static final Setting<Boolean> LISTEN_NOTIFY = Setting.bool("relay.listenNotify", "OUTBOX_LISTEN_NOTIFY")
            .defaultValue(false)
            .description("Also wake up on `NOTIFY <schema>_event` (see `sql/optional/notify_on_insert.sql`; the trigger"
                    + " cost writers ~23% throughput in our measurement, so polling is the default).").build();
    public static final Setting<Integer> MAX_ATTEMPTS = Setting.integer("relay.maxAttempts", "OUTBOX_MAX_ATTEMPTS")
            .defaultValue(10).check(between(1, 1000))
            .description("Attempts before an event that keeps failing with retryable errors is dead.").build();
    public static final Setting<Integer> MAX_NON_RETRYABLE_ATTEMPTS = Setting.integer("relay.maxNonRetryableAttempts",
                    "OUTBOX_MAX_NON_RETRYABLE_ATTEMPTS").defaultValue(1).check(between(1, 1000))
            .description("Attempts before an event failing with non-retryable errors is dead.").build();
    public static final Setting<Duration> BACKOFF_BASE = Setting.duration("relay.backoffBase", "OUTBOX_BACKOFF_BASE")
            .defaultValue(Duration.ofSeconds(1)).check(between(Duration.ofMillis(1), Duration.ofHours(1)))
            .description("Delay before the first retry; doubles per failure, with jitter.").build();
    public static final Setting<Duration> BACKOFF_CAP = Setting.duration("relay.backoffCap", "OUTBOX_BACKOFF_CAP")
            .defaultValue(Duration.ofMinutes(5)).check(between(Duration.ofMillis(1), Duration.ofDays(1)))
            .description("Longest delay between retries.").build();
    public static final Setting<Duration> SEND_TIMEOUT = Setting.duration("relay.sendTimeout", "OUTBOX_SEND_TIMEOUT")
            .defaultValue(Duration.ofSeconds(30)).check(between(Duration.ofMillis(10), Duration.ofMinutes(10)))
            .description("Longest wait for one transport call; no answer in time is an outage (pause, nothing"
                    + " charged).").build();
    public static final Setting<Duration> SHUTDOWN_TIMEOUT = Setting.duration("relay.shutdownTimeout",
                    "OUTBOX_SHUTDOWN_TIMEOUT").defaultValue(Duration.ofSeconds(10))
            .check(between(Duration.ZERO, Duration.ofMinutes(10)))
            .description("Bound of the whole stop: in-flight batch, releasing the slots, closing the transport.")
            .build();
    public static final Setting<Duration> RETENTION = Setting.duration("relay.retention", "OUTBOX_RETENTION")
            .defaultValue(Duration.ofDays(7)).check(between(Duration.ZERO, Duration.ofDays(3650)))
            .description("How long published events are kept (audit, replay), by the UTC day: at least this long, at most a day"
                    + " longer; `0` deletes them on publish.").build();
    public static final Setting<Duration> PURGE_INTERVAL = Setting.duration("relay.purgeInterval", "OUTBOX_PURGE_INTERVAL")
            .defaultValue(Duration.ofMinutes(1)).check(between(Duration.ofMillis(100), Duration.ofDays(1)))
            .description("How often the retention purge runs (one relay at a time).").build();
    public static final Setting<Integer> PURGE_BATCH_SIZE = Setting.integer("relay.purgeBatchSize",
                    "OUTBOX_PURGE_BATCH_SIZE").defaultValue(1000).check(between(1, 100_000))
            .description("Rows deleted per statement when purging events marked published in place by a relay before V7.").build();
    public static final Setting<Duration> REBALANCE_INTERVAL = Setting.duration("relay.rebalanceInterval",
                    "OUTBOX_REBALANCE_INTERVAL").defaultValue(Duration.ofSeconds(1))
            .check(between(Duration.ofMillis(10), Duration.ofMinutes(5)))
            .description("How often a relay checks its share of the 64 slots (bounds takeover time).").build();

    /** Every setting of the relay engine, and the rules between them. */
    public static final ConfigModel MODEL = new ConfigModel("relay", List.of(SCHEMA, INSTANCE_NAME, BATCH_SIZE,
            BATCH_MAX_BYTES, MIN_POLL_INTERVAL, MAX_POLL_INTERVAL, LISTEN_NOTIFY, MAX_ATTEMPTS, MAX_NON_RETRYABLE_ATTEMPTS,
            BACKOFF_BASE, BACKOFF_CAP, SEND_TIMEOUT, SHUTDOWN_TIMEOUT, RETENTION, PURGE_INTERVAL, PURGE_BATCH_SIZE,
            REBALANCE_INTERVAL), List.of(Rule.notAbove(MIN_POLL_INTERVAL, MAX_POLL_INTERVAL),
            Rule.notAbove(BACKOFF_BASE, BACKOFF_CAP)));

    private final ConfigValues values;

    private RelayConfig(ConfigValues values) {
        this.values = values;
    }

    public static RelayConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The configuration of already validated values (e.g. from {@link dev.outbox.relay.config.ConfigReader}).
     *
     * @throws IllegalArgumentException if they are values of another model
     */
    public static RelayConfig of(ConfigValues values) {
        if (values.model() != MODEL) {
            throw new IllegalArgumentException("values of " + values.model().name() + ", not of relay");
        }
        return new RelayConfig(values);
    }

    /** The validated values, by setting. */
    public ConfigValues values() {
        return values;
    }

    public String schema() {
        return values.get(SCHEMA);
    }

    public String instanceName() {
        return values.get(INSTANCE_NAME);
    }

    public int batchSize() {
        return values.get(BATCH_SIZE);
    }

    public int batchMaxBytes() {
        return values.get(BATCH_MAX_BYTES);
    }

    public Duration minPollInterval() {
        return values.get(MIN_POLL_INTERVAL);
    }

    public Duration maxPollInterval() {
        return values.get(MAX_POLL_INTERVAL);
    }

    public boolean listenNotify() {
        return values.get(LISTEN_NOTIFY);
    }

    public int maxAttempts() {
        return values.get(MAX_ATTEMPTS);
    }

    public int maxNonRetryableAttempts() {
        return values.get(MAX_NON_RETRYABLE_ATTEMPTS);
    }

    public Duration backoffBase() {
        return values.get(BACKOFF_BASE);
    }

    public Duration backoffCap() {
        return values.get(BACKOFF_CAP);
    }

    public Duration sendTimeout() {
        return values.get(SEND_TIMEOUT);
    }

    public Duration shutdownTimeout() {
        return values.get(SHUTDOWN_TIMEOUT);
    }

    public Duration retention() {
        return values.get(RETENTION);
    }

    public Duration purgeInterval() {
        return values.get(PURGE_INTERVAL);
    }

    public int purgeBatchSize() {
        return values.get(PURGE_BATCH_SIZE);
    }

    public Duration rebalanceInterval() {
        return values.get(REBALANCE_INTERVAL);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RelayConfig other && values.shown().equals(other.values.shown());
    }

    @Override
    public int hashCode() {
        return Objects.hash(values.shown());
    }

    @Override
    public String toString() {
        return "RelayConfig" + values.shown();
    }

    /** Builds a {@link RelayConfig}; setters check ranges, {@link #build()} the rules between values. */
    public static final class Builder {
        private final ConfigValues.Builder values = ConfigValues.builder(MODEL);

        private Builder() {
        }

        public Builder schema(String schema) {
            values.set(SCHEMA, schema);
            return this;
        }

        public Builder instanceName(String instanceName) {
            values.set(INSTANCE_NAME, instanceName);
            return this;
        }

        public Builder batchSize(int batchSize) {
            values.set(BATCH_SIZE, batchSize);
            return this;
        }

        /** See {@link #BATCH_MAX_BYTES}. */
        public Builder batchMaxBytes(int bytes) {
            values.set(BATCH_MAX_BYTES, bytes);
            return this;
        }

        public Builder minPollInterval(Duration d) {
            values.set(MIN_POLL_INTERVAL, d);
            return this;
        }

        public Builder maxPollInterval(Duration d) {
            values.set(MAX_POLL_INTERVAL, d);
            return this;
        }

        public Builder listenNotify(boolean listenNotify) {
            values.set(LISTEN_NOTIFY, listenNotify);
            return this;
        }

        public Builder maxAttempts(int maxAttempts) {
            values.set(MAX_ATTEMPTS, maxAttempts);
            return this;
        }

        public Builder maxNonRetryableAttempts(int attempts) {
            values.set(MAX_NON_RETRYABLE_ATTEMPTS, attempts);
            return this;
        }

        public Builder backoffBase(Duration d) {
            values.set(BACKOFF_BASE, d);
            return this;
        }

        public Builder backoffCap(Duration d) {
            values.set(BACKOFF_CAP, d);
            return this;
        }

        public Builder sendTimeout(Duration d) {
            values.set(SEND_TIMEOUT, d);
            return this;
        }

        public Builder shutdownTimeout(Duration d) {
            values.set(SHUTDOWN_TIMEOUT, d);
            return this;
        }

        public Builder retention(Duration d) {
            values.set(RETENTION, d);
            return this;
        }

        public Builder purgeInterval(Duration d) {
            values.set(PURGE_INTERVAL, d);
            return this;
        }

        public Builder purgeBatchSize(int n) {
            values.set(PURGE_BATCH_SIZE, n);
            return this;
        }

        public Builder rebalanceInterval(Duration d) {
            values.set(REBALANCE_INTERVAL, d);
            return this;
        }

        /** @throws dev.outbox.core.OutboxException naming the properties, the rule and the values */
        public RelayConfig build() {
            return new RelayConfig(values.build());
        }
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
