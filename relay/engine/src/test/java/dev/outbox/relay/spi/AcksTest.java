package dev.outbox.relay.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AcksTest {

    private static long in(Duration d) {
        return System.nanoTime() + d.toNanos();
    }

    @Test
    void eachOutcomeIsTheValueTheFailureOrPendingInOrder() throws Exception {
        CompletableFuture<String> ok = CompletableFuture.completedFuture("offset 7");
        IOException refused = new IOException("refused");
        CompletableFuture<String> failed = CompletableFuture.failedFuture(refused);
        CompletableFuture<String> cancelled = new CompletableFuture<>();
        cancelled.cancel(false);
        CompletableFuture<String> silent = new CompletableFuture<>();

        List<Acks.Ack<String>> acks = Acks.awaitAll(List.of(ok, failed, cancelled, silent), in(Duration.ofMillis(50)));

        assertThat(acks.get(0)).isEqualTo(new Acks.Ack<>("offset 7", null, false));
        assertThat(acks.get(0).acknowledged()).isTrue();
        assertThat(acks.get(1).failure()).as("the cause, not the ExecutionException").isSameAs(refused);
        assertThat(acks.get(1).acknowledged()).isFalse();
        assertThat(acks.get(2).failure()).isInstanceOf(CancellationException.class);
        assertThat(acks.get(3)).isEqualTo(new Acks.Ack<>(null, null, true));
        assertThat(acks.get(3).acknowledged()).isFalse();
        assertThat(silent.isCancelled()).as("the transport decides about pending futures").isFalse();
    }

    @Test
    void aNullFutureGivesANullOutcome() throws Exception {
        List<CompletableFuture<String>> futures = Arrays.asList(null, CompletableFuture.completedFuture("x"), null);
        assertThat(Acks.awaitAll(futures, in(Duration.ZERO)))
                .containsExactly(null, new Acks.Ack<>("x", null, false), null);
    }

    @Test
    void answersThatCameInAreTakenEvenAfterTheDeadline() throws Exception {
        CompletableFuture<String> silent = new CompletableFuture<>();
        List<Acks.Ack<String>> acks = Acks.awaitAll(List.of(silent, CompletableFuture.completedFuture("late")),
                System.nanoTime() - 1);
        assertThat(acks.get(0).pending()).isTrue();
        assertThat(acks.get(1).acknowledged()).isTrue();
    }

    @Test
    void oneDeadlineBoundsTheWholeBatch() throws Exception {
        List<CompletableFuture<String>> silent = List.of(new CompletableFuture<>(), new CompletableFuture<>(),
                new CompletableFuture<>(), new CompletableFuture<>(), new CompletableFuture<>());
        long started = System.nanoTime();
        List<Acks.Ack<String>> acks = Acks.awaitAll(silent, in(Duration.ofMillis(200)));
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(acks).allMatch(Acks.Ack::pending);
        assertThat(took).as("not 200 ms per acknowledgement").isBetween(Duration.ofMillis(190), Duration.ofMillis(900));
    }

    @Test
    void anAnswerEndsItsWaitAtOnce() throws Exception {
        CompletableFuture<String> answered = new CompletableFuture<>();
        CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS).execute(() -> answered.complete("ack"));
        long started = System.nanoTime();
        assertThat(Acks.awaitAll(List.of(answered), in(Duration.ofSeconds(30))).get(0).value()).isEqualTo("ack");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void givingUpEndsTheWaitForEverythingNotDone() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        CompletableFuture<String> done = CompletableFuture.completedFuture("ack");
        long started = System.nanoTime();
        List<Acks.Ack<String>> acks = Acks.awaitAll(List.of(new CompletableFuture<>(), done, new CompletableFuture<>()),
                in(Duration.ofSeconds(30)), Duration.ofMillis(10), () -> asked.incrementAndGet() >= 3);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        assertThat(acks).extracting(Acks.Ack::pending).containsExactly(true, false, true);
        assertThat(asked).as("asked every 10 ms until it said so, then no more").hasValue(3);
    }

    @Test
    void giveUpIsNotAskedWhileNothingIsOutstanding() throws Exception {
        List<Acks.Ack<String>> acks = Acks.awaitAll(List.of(CompletableFuture.completedFuture("a")),
                in(Duration.ofSeconds(30)), Duration.ofMillis(1), () -> {
                    throw new AssertionError("nothing to give up");
                });
        assertThat(acks.get(0).acknowledged()).isTrue();
    }

    @Test
    void anInterruptEndsTheWaitWithInterruptedException() {
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> Acks.awaitAll(List.of(new CompletableFuture<String>()), in(Duration.ofSeconds(30))))
                    .isInstanceOf(InterruptedException.class);
        } finally {
            Thread.interrupted();
        }
    }
}
