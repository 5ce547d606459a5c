package dev.outbox.testing;

import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * Waiting in tests: poll a condition until it holds or a deadline passes, then fail naming what
 * was awaited. The only wait the test suites use; never sleep for a fixed time instead.
 */
public final class Await {
    private static final long POLL_MILLIS = 20;

    private Await() {
    }

    /** Polls {@code condition} until it is true; fails after {@code timeout}. */
    public static void await(String what, Duration timeout, Callable<Boolean> condition) {
        awaitValue(what, timeout, () -> condition.call() ? Boolean.TRUE : null);
    }

    /** Polls {@code probe} until it returns a value (not null) and returns it; fails after {@code timeout}. */
    public static <T> T awaitValue(String what, Duration timeout, Callable<T> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            T value;
            try {
                value = probe.call();
            } catch (Exception e) {
                throw new AssertionError("failed while waiting for: " + what, e);
            }
            if (value != null) {
                return value;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
            }
            try {
                Thread.sleep(POLL_MILLIS); // the pause between two polls; the condition decides
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for: " + what, e);
            }
        }
    }
}
