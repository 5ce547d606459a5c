package dev.outbox.relay.sidecar;

import dev.outbox.relay.RelayState;
import dev.outbox.relay.RelayStats;
import dev.outbox.relay.ops.QueueState;
import java.util.List;
import java.util.Locale;

/**
 * Renders the relay's counters and the outbox gauges in the Prometheus text exposition format
 * 0.0.4, for {@code GET /metrics}. Pure formatting: the caller supplies the snapshot.
 */
final class PrometheusMetrics {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private PrometheusMetrics() {
    }

    /**
     * @param stats the relay's counters since start
     * @param queue the outbox table's state as last read, or {@code null} when it was never read
     *        (those series are then absent, which alerting treats as "no data", not as zero)
     * @param databaseUp whether the database answered the last check in time; when not, the gauges
     *        are the last values read, {@code queueAgeSeconds} old
     * @param queueAgeSeconds age of {@code queue}
     */
    static String render(RelayStats stats, QueueState queue, boolean databaseUp, double queueAgeSeconds) {
        StringBuilder out = new StringBuilder(2048);
        counter(out, "outbox_relay_published_total", "Events acknowledged by the transport and marked published.",
                stats.published());
        counter(out, "outbox_relay_failed_total", "Failed delivery attempts of single events.", stats.failed());
        counter(out, "outbox_relay_dead_total", "Events that exhausted their attempts.", stats.dead());
        counter(out, "outbox_relay_transport_errors_total",
                "Batches the transport could not send at all (broker unreachable, timeout).", stats.transportErrors());
        counter(out, "outbox_relay_purged_total", "Published events deleted by the retention purge.", stats.purged());
        gauge(out, "outbox_relay_slots_owned", "Slots (of 64) this relay instance delivers.",
                stats.ownedSlots().size());
        histogram(out, stats);
        String phase = "outbox_relay_phase";
        header(out, phase, "1 for the phase the relay is in (running, transport_paused, database_unavailable, …).",
                "gauge");
        for (RelayState.Phase p : RelayState.Phase.values()) {
            out.append(phase).append("{phase=\"").append(p.name().toLowerCase(Locale.ROOT)).append("\"} ")
                    .append(stats.state().phase() == p ? 1 : 0).append('\n');
        }
        gauge(out, "outbox_database_up", "1 when the database answered the sidecar's last check in time, else 0"
                + " (the outbox gauges then keep their last values; see outbox_gauges_age_seconds).", databaseUp ? 1 : 0);
        if (queue != null) {
            gauge(out, "outbox_gauges_age_seconds", "Age of the outbox gauges' last reading (read every 5 s"
                    + " while /metrics is scraped and the database answers).", queueAgeSeconds);
            gauge(out, "outbox_backlog_events", "Undelivered events (neither published nor dead).", queue.backlog());
            gauge(out, "outbox_oldest_undelivered_age_seconds", "Age of the oldest undelivered event; 0 when there is none.",
                    queue.oldestUndeliveredAge().map(age -> age.toNanos() / 1e9).orElse(0.0));
            gauge(out, "outbox_dead_events", "Dead events waiting for an operator to retry or discard them.",
                    queue.dead());
        }
        return out.toString();
    }

    private static void histogram(StringBuilder out, RelayStats stats) {
        String name = "outbox_relay_batch_duration_seconds";
        header(out, name, "Time to send and mark one batch.", "histogram");
        List<Long> buckets = stats.batchLatencyBuckets();
        List<Double> bounds = RelayStats.LATENCY_BUCKETS_SECONDS;
        long cumulative = 0;
        for (int i = 0; i < buckets.size(); i++) {
            cumulative += buckets.get(i);
            String le = i < bounds.size() ? number(bounds.get(i)) : "+Inf";
            out.append(name).append("_bucket{le=\"").append(le).append("\"} ").append(cumulative).append('\n');
        }
        out.append(name).append("_sum ").append(number(stats.batchSecondsSum())).append('\n');
        // From the buckets, not stats.batches(): _count must equal the +Inf bucket of the same scrape.
        out.append(name).append("_count ").append(cumulative).append('\n');
    }

    private static void counter(StringBuilder out, String name, String help, long value) {
        header(out, name, help, "counter");
        out.append(name).append(' ').append(value).append('\n');
    }

    private static void gauge(StringBuilder out, String name, String help, double value) {
        header(out, name, help, "gauge");
        out.append(name).append(' ').append(number(value)).append('\n');
    }

    private static void header(StringBuilder out, String name, String help, String type) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static String number(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? String.valueOf((long) value) : String.valueOf(value);
    }
}
