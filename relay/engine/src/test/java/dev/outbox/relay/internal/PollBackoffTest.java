package dev.outbox.relay.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.internal.PollBackoff.Claimed;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class PollBackoffTest {
    private final PollBackoff poll = new PollBackoff(Duration.ofMillis(10), Duration.ofMillis(100));

    private List<Duration> after(Claimed... claims) {
        return Stream.of(claims).map(poll::next).toList();
    }

    @Test
    void aFullClaimIsFollowedByTheNextAtOnce() {
        assertThat(after(Claimed.FULL, Claimed.FULL)).containsOnly(Duration.ZERO);
    }

    @Test
    void aPartialClaimWaitsTheMinimum() {
        assertThat(after(Claimed.SOME, Claimed.SOME)).containsOnly(Duration.ofMillis(10));
    }

    @Test
    void idleClaimsDoubleTheWaitUpToTheMaximum() {
        assertThat(after(Claimed.NONE, Claimed.NONE, Claimed.NONE, Claimed.NONE, Claimed.NONE, Claimed.NONE))
                .containsExactly(Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(40),
                        Duration.ofMillis(80), Duration.ofMillis(100), Duration.ofMillis(100));
    }

    @Test
    void anyEventsResetTheIdleWait() {
        assertThat(after(Claimed.NONE, Claimed.NONE, Claimed.NONE, Claimed.SOME, Claimed.NONE))
                .containsExactly(Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(40),
                        Duration.ofMillis(10), Duration.ofMillis(10));
        assertThat(after(Claimed.NONE, Claimed.NONE, Claimed.FULL, Claimed.NONE))
                .containsExactly(Duration.ofMillis(20), Duration.ofMillis(40), Duration.ZERO, Duration.ofMillis(10));
    }

    @Test
    void transportPausesGrowFrom100msAndStayWithinOneSecond() {
        Backoff pauses = PollBackoff.transportPause(Duration.ofMinutes(5), () -> 0.999_999);
        assertThat(List.of(1, 2, 3, 4, 5, 100).stream().map(pauses::delay).toList()).containsExactly(
                Duration.ofMillis(99), Duration.ofMillis(199), Duration.ofMillis(399), Duration.ofMillis(799),
                Duration.ofMillis(999), Duration.ofMillis(999));
        assertThat(PollBackoff.transportPause(Duration.ofMinutes(5), () -> 0.0).delay(100))
                .isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void aLowerBackoffCapAlsoBoundsTransportPauses() {
        Backoff pauses = PollBackoff.transportPause(Duration.ofMillis(200), () -> 0.999_999);
        assertThat(pauses.delay(10)).isEqualTo(Duration.ofMillis(199));
    }
}
