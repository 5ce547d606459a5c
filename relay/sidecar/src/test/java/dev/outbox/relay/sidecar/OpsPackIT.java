package dev.outbox.relay.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.Relay;
import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.testing.Await;
import dev.outbox.testing.TestDatabase;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.StringReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operations pack ({@code ops/}) against a real {@code /metrics} scrape: every metric that an
 * alerting rule or a dashboard panel names is one the sidecar exposes. (CI checks the rules'
 * syntax and behaviour with promtool: {@code .ci/check-ops.sh}.)
 */
class OpsPackIT {
    private static final Path OPS = TestDatabase.sqlDirectory().getParent().resolve("ops");
    private static final Pattern SAMPLE = Pattern.compile("^([a-z_]+)(\\{[^}]*})? \\S+$", Pattern.MULTILINE);
    private static final Pattern NAMED = Pattern.compile("\\boutbox_[a-z_]+");

    @RegisterExtension
    static final RelayDatabase FIXTURE = new RelayDatabase();

    @Test
    void everyMetricTheAlertsAndTheDashboardUseIsInARealScrape() throws IOException {
        Relay relay = FIXTURE.start(FIXTURE.sink("ops"), RelayDatabase.fast().build());
        String metrics;
        try (HttpEndpoints http = HttpEndpoints.start("127.0.0.1", 0, FIXTURE.relayRole(), relay::stats, "outbox",
                UnaryOperator.identity())) {
            // The outbox gauges appear once a scrape has asked for them and the database answered.
            metrics = Await.awaitValue("/metrics with the outbox gauges", Duration.ofSeconds(30), () -> {
                String scrape = request(http.port());
                return scrape.contains("\noutbox_backlog_events ") ? scrape : null;
            });
        }
        Set<String> exposed = new TreeSet<>();
        Matcher sample = SAMPLE.matcher(metrics);
        while (sample.find()) {
            exposed.add(sample.group(1));
        }

        String alerts = Files.readString(OPS.resolve("prometheus/outbox-alerts.yml"));
        String dashboard = Files.readString(OPS.resolve("grafana/outbox-dashboard.json"));
        Set<String> used = new TreeSet<>();
        for (String file : new String[] {alerts, dashboard}) {
            Matcher named = NAMED.matcher(file);
            while (named.find()) {
                used.add(named.group());
            }
        }
        assertThat(used).as("metrics the pack uses").contains("outbox_dead_events", "outbox_relay_phase",
                "outbox_relay_batch_duration_seconds_bucket", "outbox_oldest_undelivered_age_seconds");
        assertThat(exposed).as("exposed by /metrics:%n%s", metrics).containsAll(used);

        JsonObject board;
        try (var reader = Json.createReader(new StringReader(dashboard))) {
            board = reader.readObject();
        }
        assertThat(board.getJsonArray("panels")).isNotEmpty().allSatisfy(p -> {
            JsonObject panel = p.asJsonObject();
            assertThat(panel.getJsonObject("datasource").getString("uid")).isEqualTo("${datasource}");
            assertThat(panel.getJsonArray("targets")).as(panel.getString("title")).isNotEmpty()
                    .allSatisfy(t -> assertThat(t.asJsonObject().getString("expr")).contains("outbox_"));
        });
        assertThat(board.getJsonObject("templating").getJsonArray("list")).extracting(JsonValue::asJsonObject)
                .anySatisfy(v -> assertThat(v.getString("name")).isEqualTo("datasource"));
    }

    private static String request(int port) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
