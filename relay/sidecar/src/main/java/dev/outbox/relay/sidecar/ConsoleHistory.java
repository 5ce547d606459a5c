package dev.outbox.relay.sidecar;

import dev.outbox.core.internal.JsonFactories;
import dev.outbox.relay.ops.MinuteCount;
import jakarta.json.JsonArrayBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The console's memory of the recent past: a ring of samples of this sidecar's relay counters and
 * the outbox gauges, one per {@link #INTERVAL} for {@link #WINDOW}, plus the per-minute counts read
 * from the database once at start (published and dead events only: the backlog's past is not
 * stored anywhere, so it starts empty after a restart). Thread-safe; nothing is written to disk.
 */
final class ConsoleHistory {
    static final Duration INTERVAL = Duration.ofSeconds(10);
    static final Duration WINDOW = Duration.ofHours(1);
    static final int SAMPLES = (int) (WINDOW.toSeconds() / INTERVAL.toSeconds());

    /**
     * One reading.
     *
     * @param backlog undelivered events (all relays), or -1 when the database did not answer
     * @param oldestAgeSeconds age of the oldest undelivered event, 0 with an empty backlog, -1 unknown
     * @param deadEvents dead events kept (all relays), -1 unknown
     * @param published this relay's counter since it started
     * @param failed this relay's counter since it started
     * @param dead this relay's counter since it started
     */
    record Sample(Instant at, long backlog, double oldestAgeSeconds, long deadEvents, long published, long failed,
                  long dead) {
    }

    private final Deque<Sample> samples = new ArrayDeque<>();
    private volatile List<MinuteCount> backfill;
    private final Instant started;

    ConsoleHistory(Instant started) {
        this.started = started;
    }

    synchronized void add(Sample sample) {
        if (samples.size() == SAMPLES) {
            samples.removeFirst();
        }
        samples.addLast(sample);
    }

    synchronized List<Sample> samples() {
        return new ArrayList<>(samples);
    }

    boolean backfilled() {
        return backfill != null;
    }

    /** The database's per-minute counts before this sidecar started (later minutes come from the samples). */
    void backfill(List<MinuteCount> minutes) {
        Instant startMinute = started.truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
        backfill = minutes.stream().filter(m -> m.minute().isBefore(startMinute)).toList();
    }

    Instant started() {
        return started;
    }

    /** The samples as JSON rows {@code [epochMillis, backlog, oldestAge, deadEvents, published/min, failed/min, dead/min]}. */
    JsonArrayBuilder samplesJson() {
        JsonArrayBuilder rows = JsonFactories.arrayBuilder();
        Sample previous = null;
        for (Sample s : samples()) {
            JsonArrayBuilder row = JsonFactories.arrayBuilder().add(s.at().toEpochMilli()).add(s.backlog())
                    .add(s.oldestAgeSeconds()).add(s.deadEvents());
            if (previous == null) {
                row.addNull().addNull().addNull();
            } else {
                double minutes = Math.max(1, Duration.between(previous.at(), s.at()).toMillis()) / 60_000.0;
                row.add(rate(s.published() - previous.published(), minutes))
                        .add(rate(s.failed() - previous.failed(), minutes))
                        .add(rate(s.dead() - previous.dead(), minutes));
            }
            rows.add(row);
            previous = s;
        }
        return rows;
    }

    /** The backfill as JSON rows {@code [epochMillis, published, dead]}, one per minute with events. */
    JsonArrayBuilder backfillJson() {
        JsonArrayBuilder rows = JsonFactories.arrayBuilder();
        List<MinuteCount> minutes = backfill;
        if (minutes != null) {
            minutes.forEach(m -> rows.add(JsonFactories.arrayBuilder().add(m.minute().toEpochMilli()).add(m.published())
                    .add(m.dead())));
        }
        return rows;
    }

    private static double rate(long delta, double minutes) {
        return Math.round(Math.max(0, delta) / minutes * 10) / 10.0;
    }
}
