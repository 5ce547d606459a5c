package dev.outbox.relay.micrometer;

import static dev.outbox.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.Relay;
import dev.outbox.relay.ops.Operations;
import dev.outbox.relay.testing.Events;
import dev.outbox.relay.testing.RelayDatabase;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** An embedded relay's meters in Micrometer's Prometheus registry, against a real database. */
class OutboxRelayMetricsIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Pattern SAMPLE = Pattern.compile("^([a-z_]+)(\\{[^}]*})? (\\S+)$", Pattern.MULTILINE);
    /**
     * The sample names of the sidecar's /metrics (sidecar's PrometheusMetrics) without its
     * histogram's {@code _bucket} lines, which a Micrometer timer does not have.
     */
    private static final Set<String> SIDECAR_SAMPLES = Set.of("outbox_relay_published_total", "outbox_relay_failed_total",
            "outbox_relay_dead_total", "outbox_relay_transport_errors_total", "outbox_relay_purged_total",
            "outbox_relay_slots_owned", "outbox_relay_phase", "outbox_database_up", "outbox_gauges_age_seconds",
            "outbox_backlog_events", "outbox_oldest_undelivered_age_seconds", "outbox_dead_events",
            "outbox_relay_batch_duration_seconds_count", "outbox_relay_batch_duration_seconds_sum");

    @RegisterExtension
    static final RelayDatabase FIXTURE = new RelayDatabase();

    @Test
    void showsTheRelaysCountersStateAndTheOutboxGaugesUnderTheSidecarsNames() {
        Events.insert(FIXTURE.db(), 120, 12, "OrderPlaced");
        FIXTURE.db().execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload, attempts, dead_at,"
                + " last_error) VALUES ('Order', 'dead-1', 'OrderPlaced', '{}', 3, now(), 'refused')");
        Relay relay = FIXTURE.start(FIXTURE.sink("metrics"), RelayDatabase.fast().build());
        Operations operations = FIXTURE.operations();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new OutboxRelayMetrics(relay, operations).bindTo(registry);

        await("the relay published every event", WAIT, () -> relay.stats().published() == 120);
        String scrape = registry.scrape();

        Set<String> names = new TreeSet<>();
        Matcher m = SAMPLE.matcher(scrape);
        while (m.find()) {
            names.add(m.group(1));
        }
        assertThat(names).as(scrape).isEqualTo(new TreeSet<>(SIDECAR_SAMPLES));
        assertThat(value(scrape, "outbox_relay_published_total", "")).isEqualTo(120);
        assertThat(value(scrape, "outbox_relay_slots_owned", "")).isEqualTo(64);
        assertThat(value(scrape, "outbox_relay_phase", "phase=\"running\"")).isEqualTo(1);
        assertThat(value(scrape, "outbox_relay_phase", "phase=\"transport_paused\"")).isZero();
        assertThat(value(scrape, "outbox_relay_batch_duration_seconds_count", "")).isPositive();
        assertThat(value(scrape, "outbox_database_up", "")).isEqualTo(1);
        assertThat(value(scrape, "outbox_dead_events", "")).as("the dead event, read from the database").isEqualTo(1);
        // The gauges were read when the relay had published everything or was about to: at most the 120.
        assertThat(value(scrape, "outbox_backlog_events", "")).isBetween(0.0, 120.0);
    }

    @Test
    void withoutOperationsLeavesTheOutboxGaugesOut() {
        Relay relay = FIXTURE.start(FIXTURE.sink("metrics"), RelayDatabase.fast().build());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new OutboxRelayMetrics(relay, null).bindTo(registry);

        String scrape = registry.scrape();

        assertThat(scrape).contains("outbox_relay_published_total").doesNotContain("outbox_backlog_events")
                .doesNotContain("outbox_database_up");
    }

    /** The value of the sample {@code name} whose labels contain {@code label} (or have none, for ""). */
    private static double value(String scrape, String name, String label) {
        Matcher m = SAMPLE.matcher(scrape);
        while (m.find()) {
            String labels = m.group(2) == null ? "" : m.group(2);
            if (m.group(1).equals(name) && (label.isEmpty() ? labels.isEmpty() || !labels.contains("phase")
                    : labels.contains(label))) {
                return Double.parseDouble(m.group(3));
            }
        }
        throw new AssertionError("no sample " + name + " {" + label + "} in:\n" + scrape);
    }
}
