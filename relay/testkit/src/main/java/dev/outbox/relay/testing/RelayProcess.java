package dev.outbox.relay.testing;

import dev.outbox.relay.Relay;
import dev.outbox.relay.RelayConfig;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A relay as a separate JVM, delivering to the {@code sink} table, for tests that kill it.
 * Arguments: JDBC URL, instance name, batch size, delay per delivered event in milliseconds.
 */
public final class RelayProcess {
    private RelayProcess() {
    }

    public static void main(String[] args) throws InterruptedException {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(args[0]);
        ds.setOptions("-c role=outbox_relay");
        SinkTransport sink = new SinkTransport(args[0], args[1]).slowPerEvent(Duration.ofMillis(Long.parseLong(args[3])));
        Relay relay = Relay.builder(ds, sink).config(RelayConfig.builder()
                .instanceName(args[1])
                .batchSize(Integer.parseInt(args[2]))
                .minPollInterval(Duration.ofMillis(5))
                .maxPollInterval(Duration.ofMillis(50))
                .rebalanceInterval(Duration.ofMillis(100))
                .build()).build();
        Runtime.getRuntime().addShutdownHook(new Thread(relay::close));
        relay.start();
        new CountDownLatch(1).await(); // runs until killed
    }

    /** Starts {@link #main} in a new JVM with the test classpath. */
    public static Process start(String jdbcUrl, String name, int batchSize, long delayMillis) throws java.io.IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                RelayProcess.class.getName(), jdbcUrl, name, String.valueOf(batchSize), String.valueOf(delayMillis))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
    }
}
