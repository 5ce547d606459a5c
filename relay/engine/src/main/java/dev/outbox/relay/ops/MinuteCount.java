package dev.outbox.relay.ops;

import java.time.Instant;
import java.util.Objects;

/**
 * Events published and events that died in one minute, from {@link Operations#perMinute(Instant)}.
 *
 * @param minute the minute's start
 * @param published events published in it
 * @param dead events that died in it and are still dead
 */
public record MinuteCount(Instant minute, long published, long dead) {

    public MinuteCount {
        Objects.requireNonNull(minute, "minute");
    }
}
