package dev.outbox.bench;

/**
 * One benchmark of {@code scripts/bench}: measures something next to its reference in interleaved
 * rounds ({@link Rounds#compare}) and adds a section to the report ({@link BenchContext#report()}).
 *
 * <p>A scenario creates what it measures on: a scratch database ({@link BenchContext#scratchDatabase}),
 * its own topics, queues or streams, and removes them when it ends, also when it fails. It throws
 * when a service it needs is missing, saying how to start it; the harness then records the
 * failure in the report and goes on with the next scenario.
 *
 * <p>The harness finds the built-in scenarios in {@link Bench#SCENARIOS} and others with
 * {@link java.util.ServiceLoader} (a {@code META-INF/services/dev.outbox.bench.Scenario} file).
 */
public interface Scenario {

    /** The name on the command line, e.g. {@code cloud}: lower-case letters, digits and dashes. */
    String name();

    /** One line for {@code scripts/bench --list}. */
    String description();

    /**
     * Measures and adds the results to {@code context.report()}.
     *
     * @throws Exception anything that makes the measurement impossible (a missing service, a failed run)
     */
    void run(BenchContext context) throws Exception;
}
