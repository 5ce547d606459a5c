package dev.outbox.relay.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.spi.TransportException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
    private static final Instant NOW = Instant.parse("2024-01-01T00:00:00Z");
    private static final DoubleSupplier NO_JITTER = () -> 0.0;
    private final RetryPolicy policy = new RetryPolicy(5, 2, Duration.ofSeconds(1), Duration.ofSeconds(60));

    private static TransportException retryable() {
        return TransportException.retryable("busy", null);
    }

    private static TransportException permanent() {
        return TransportException.permanent("HTTP 400", null);
    }

    @Test
    void aRetryableFailureIsRetriedUntilMaxAttemptsThenDead() {
        for (int attempts = 1; attempts < 5; attempts++) {
            assertThat(policy.decide(attempts, retryable(), NOW, NO_JITTER).dead()).as("attempt %d", attempts).isFalse();
        }
        assertThat(policy.decide(5, retryable(), NOW, NO_JITTER).dead()).isTrue();
        assertThat(policy.decide(6, retryable(), NOW, NO_JITTER).dead()).isTrue();
    }

    @Test
    void aNonRetryableFailureIsDeadAfterMaxNonRetryableAttempts() {
        assertThat(policy.decide(1, permanent(), NOW, NO_JITTER).dead()).isFalse();
        assertThat(policy.decide(2, permanent(), NOW, NO_JITTER).dead()).isTrue();
    }

    @Test
    void deadNowIsDeadAtTheFirstAttempt() {
        assertThat(policy.decide(1, TransportException.deadNow("HTTP 410 Gone", null), NOW, NO_JITTER).dead()).isTrue();
    }

    @Test
    void deadAsksNoRandomValue() {
        DoubleSupplier forbidden = () -> {
            throw new AssertionError("a dead event needs no jitter");
        };
        assertThat(policy.decide(5, retryable(), NOW, forbidden)).isEqualTo(RetryPolicy.Decision.DEAD);
    }

    @Test
    void retriesBackOffExponentiallyWithJitterUpToTheCap() {
        RetryPolicy p = new RetryPolicy(100, 100, Duration.ofSeconds(1), Duration.ofSeconds(10));
        assertThat(List.of(1, 2, 3, 4, 5, 50).stream().map(n -> p.decide(n, retryable(), NOW, NO_JITTER).delay()).toList())
                .containsExactly(Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2),
                        Duration.ofSeconds(4), Duration.ofSeconds(5), Duration.ofSeconds(5));
        assertThat(List.of(1, 4, 50).stream().map(n -> p.decide(n, retryable(), NOW, () -> 0.5).delay()).toList())
                .containsExactly(Duration.ofMillis(750), Duration.ofSeconds(6), Duration.ofMillis(7500));
    }

    @Test
    void theRetryIsAtNowPlusTheDelay() {
        RetryPolicy.Decision d = policy.decide(3, retryable(), NOW, () -> 0.5);
        assertThat(d.delay()).isEqualTo(Duration.ofSeconds(3));
        assertThat(d.retryAt()).isEqualTo(NOW.plusSeconds(3));
    }

    @Test
    void aLongerRetryAfterWinsOverTheBackoffAndAShorterOneDoesNot() {
        TransportException wait90 = retryable().withRetryAfter(Duration.ofSeconds(90));
        assertThat(policy.decide(1, wait90, NOW, NO_JITTER).retryAt()).isEqualTo(NOW.plusSeconds(90));
        TransportException wait1ms = retryable().withRetryAfter(Duration.ofMillis(1));
        assertThat(policy.decide(3, wait1ms, NOW, NO_JITTER).delay()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void retryAfterDoesNotKeepAnEventAliveBeyondItsAttempts() {
        assertThat(policy.decide(5, retryable().withRetryAfter(Duration.ofSeconds(1)), NOW, NO_JITTER).dead()).isTrue();
    }
}
