package dev.outbox.relay.micrometer;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.Relay;
import dev.outbox.relay.RelayState;
import dev.outbox.relay.RelayStats;
import dev.outbox.relay.ops.Operations;
import dev.outbox.relay.ops.QueueState;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The meters of an embedded {@link Relay}, named so that Micrometer's Prometheus registry shows
 * them as the sidecar's {@code /metrics} does ({@code outbox_relay_published_total},
 * {@code outbox_backlog_events}, …; the README's "Probes and metrics" lists them), with the same
 * meaning. Differences: the batch duration is a timer (count and sum) without the sidecar's
 * histogram buckets, and the outbox gauges are read when a registry asks for them, at most every
 * {@link #QUEUE_INTERVAL} (one statement, see {@link Operations#queue()}).
 *
 * <pre>{@code
 * new OutboxRelayMetrics(relay, Operations.create(dataSource, "outbox")).bindTo(registry);
 * }</pre>
 */
public final class OutboxRelayMetrics implements MeterBinder {
    /** How old a reading of the outbox gauges may be before a registry's read makes a new one. */
    public static final Duration QUEUE_INTERVAL = Duration.ofSeconds(5);

    private final Relay relay;
    private final Operations operations;
    private Reading reading;

    /**
     * @param relay the relay whose counters and state to show
     * @param operations where to read the backlog, the oldest undelivered event and the dead
     *        count ({@code outbox_backlog_events} …); {@code null} leaves those gauges out
     */
    public OutboxRelayMetrics(Relay relay, Operations operations) {
        this.relay = Objects.requireNonNull(relay, "relay");
        this.operations = operations;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        counter(registry, "outbox.relay.published", "Events acknowledged by the transport and marked published.",
                RelayStats::published);
        counter(registry, "outbox.relay.failed", "Failed delivery attempts of single events.", RelayStats::failed);
        counter(registry, "outbox.relay.dead", "Events that exhausted their attempts.", RelayStats::dead);
        counter(registry, "outbox.relay.transport.errors",
                "Batches the transport could not send at all (broker unreachable, timeout).", RelayStats::transportErrors);
        counter(registry, "outbox.relay.purged", "Published events deleted by the retention purge.", RelayStats::purged);
        Gauge.builder("outbox.relay.slots.owned", relay, r -> r.stats().ownedSlots().size())
                .description("Slots (of 64) this relay instance delivers.").register(registry);
        for (RelayState.Phase phase : RelayState.Phase.values()) {
            Gauge.builder("outbox.relay.phase", relay, r -> r.stats().state().phase() == phase ? 1 : 0)
                    .description("1 for the phase the relay is in (running, transport_paused, database_unavailable, …).")
                    .tag("phase", phase.name().toLowerCase(Locale.ROOT)).register(registry);
        }
        FunctionTimer.builder("outbox.relay.batch.duration", relay, r -> r.stats().batches(),
                        r -> r.stats().batchSecondsSum(), TimeUnit.SECONDS)
                .description("Claim to mark of each batch.").register(registry);
        if (operations != null) {
            Gauge.builder("outbox.database.up", this, m -> m.read().up() ? 1 : 0)
                    .description("1 when the last reading of the outbox gauges answered, else 0 (the gauges then"
                            + " keep their last values; see outbox_gauges_age_seconds).").register(registry);
            Gauge.builder("outbox.gauges.age", this, m -> m.read().ageSeconds()).baseUnit("seconds")
                    .description("Age of the outbox gauges' last reading.").register(registry);
            queueGauge(registry, "outbox.backlog.events", null, "Undelivered events (neither published nor dead).",
                    QueueState::backlog);
            queueGauge(registry, "outbox.oldest.undelivered.age", "seconds",
                    "Age of the oldest undelivered event; 0 when there is none.",
                    q -> q.oldestUndeliveredAge().map(age -> age.toNanos() / 1e9).orElse(0.0));
            queueGauge(registry, "outbox.dead.events", null, "Dead events waiting for an operator to retry or discard them.",
                    QueueState::dead);
        }
    }

    private void counter(MeterRegistry registry, String name, String description, ToDoubleFunction<RelayStats> value) {
        FunctionCounter.builder(name, relay, r -> value.applyAsDouble(r.stats())).description(description)
                .register(registry);
    }

    private void queueGauge(MeterRegistry registry, String name, String unit, String description,
                            ToDoubleFunction<QueueState> value) {
        Gauge.builder(name, this, m -> {
            QueueState queue = m.read().queue();
            return queue == null ? Double.NaN : value.applyAsDouble(queue);
        }).baseUnit(unit).description(description).register(registry);
    }

    /** A reading at most {@link #QUEUE_INTERVAL} old: a registry reads all gauges at once, the database once. */
    private synchronized Reading read() {
        long now = System.nanoTime();
        if (reading == null || now - reading.at() >= QUEUE_INTERVAL.toNanos()) {
            QueueState queue = reading == null ? null : reading.queue();
            long readAt = reading == null ? now : reading.queueReadAt();
            boolean up;
            try {
                queue = operations.queue();
                readAt = now;
                up = true;
            } catch (OutboxException e) {
                up = false; // the last values stay; outbox_database_up and the age say so
            }
            reading = new Reading(now, up, queue, readAt);
        }
        return reading;
    }

    /** One reading: when it was tried, whether it answered, the last state read and when. */
    private record Reading(long at, boolean up, QueueState queue, long queueReadAt) {
        double ageSeconds() {
            return queue == null ? Double.NaN : (System.nanoTime() - queueReadAt) / 1e9;
        }
    }
}
