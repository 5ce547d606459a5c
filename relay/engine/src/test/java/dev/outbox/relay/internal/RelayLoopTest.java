package dev.outbox.relay.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.spi.OutboxMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RelayLoopTest {
    private static long seq;

    private static OutboxMessage event(String type, String id) {
        return new OutboxMessage(UUID.randomUUID(), ++seq, type, id, "T", "{}", Map.of(), Instant.EPOCH, 1);
    }

    @Test
    void wavesHoldAtMostOneEventPerKeyInWriteOrder() {
        OutboxMessage a1 = event("Order", "a");
        OutboxMessage b1 = event("Order", "b");
        OutboxMessage a2 = event("Order", "a");
        OutboxMessage c1 = event("Customer", "a"); // same id, other type: another key
        OutboxMessage a3 = event("Order", "a");
        OutboxMessage b2 = event("Order", "b");

        List<List<OutboxMessage>> waves = RelayLoop.waves(List.of(a1, b1, a2, c1, a3, b2));

        assertThat(waves).containsExactly(List.of(a1, b1, c1), List.of(a2, b2), List.of(a3));
    }

    @Test
    void durationsAreWrittenAsTheyAreConfigured() {
        assertThat(List.of(Duration.ofMillis(500), Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofHours(2),
                Duration.ofDays(7), Duration.ofMillis(1500), Duration.ZERO, Duration.ofNanos(10))
                .stream().map(dev.outbox.relay.config.Durations::format).toList())
                .containsExactly("500ms", "10s", "5m", "2h", "7d", "1500ms", "0ms", "PT0.00000001S");
    }

    @Test
    void backoffGrowsExponentiallyWithEqualJitterUpToTheCap() {
        Backoff noJitter = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), () -> 0.0);
        Backoff fullJitter = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), () -> 0.999_999);
        assertThat(List.of(1, 2, 3, 4, 5, 30).stream().map(noJitter::delay).toList()).containsExactly(
                Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(400),
                Duration.ofMillis(500), Duration.ofMillis(500));
        assertThat(List.of(1, 2, 3, 4, 5, 30).stream().map(fullJitter::delay).toList()).containsExactly(
                Duration.ofMillis(99), Duration.ofMillis(199), Duration.ofMillis(399), Duration.ofMillis(799),
                Duration.ofMillis(999), Duration.ofMillis(999));
    }
}
