package dev.outbox.relay.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.ops.MinuteCount;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConsoleHistoryTest {
    private static final Instant START = Instant.parse("2026-12-04T10:00:30Z");

    @Test
    void keepsTheLastHourAndTurnsCountersIntoRatesPerMinute() {
        ConsoleHistory history = new ConsoleHistory(START);
        for (int i = 0; i <= ConsoleHistory.SAMPLES + 5; i++) {
            // 10 published and 1 failed every 10 s: 60 and 6 per minute.
            history.add(new ConsoleHistory.Sample(START.plusSeconds(10L * i), 3, 1.5, 0, 10L * i, i, 0));
        }

        List<ConsoleHistory.Sample> samples = history.samples();
        assertThat(samples).hasSize(ConsoleHistory.SAMPLES);
        assertThat(samples.get(samples.size() - 1).at()).isEqualTo(START.plusSeconds(10L * (ConsoleHistory.SAMPLES + 5)));
        String json = history.samplesJson().build().toString();
        assertThat(json).startsWith("[[" + samples.get(0).at().toEpochMilli() + ",3,1.5,0,null,null,null],");
        assertThat(json).contains(",3,1.5,0,60.0,6.0,0.0]");
    }

    @Test
    void backfillKeepsOnlyTheMinutesBeforeTheStart() {
        ConsoleHistory history = new ConsoleHistory(START);
        assertThat(history.backfilled()).isFalse();
        history.backfill(List.of(new MinuteCount(Instant.parse("2026-12-04T09:59:00Z"), 120, 1),
                new MinuteCount(Instant.parse("2026-12-04T10:00:00Z"), 5, 0)));

        assertThat(history.backfilled()).isTrue();
        assertThat(history.backfillJson().build().toString())
                .isEqualTo("[[" + Instant.parse("2026-12-04T09:59:00Z").toEpochMilli() + ",120,1]]");
    }

    @Test
    void aRestartedCounterIsNotANegativeRate() {
        ConsoleHistory history = new ConsoleHistory(START);
        history.add(new ConsoleHistory.Sample(START, 0, 0, 0, 100, 0, 0));
        history.add(new ConsoleHistory.Sample(START.plusSeconds(10), 0, 0, 0, 5, 0, 0));
        assertThat(history.samplesJson().build().toString()).endsWith(",0,0.0,0,0.0,0.0,0.0]]");
    }
}
