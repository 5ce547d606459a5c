package dev.outbox.relay.transport.pubsub;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.api.gax.batching.BatchingSettings;
import dev.outbox.relay.config.ConfigReader;
import dev.outbox.relay.config.Naming;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Measures the publisher's batching settings through the transport on the emulator: batches as
 * the relay sends them (at most one event per ordering key) of 500 events and of 1 event. Prints
 * the numbers that justify {@link PubSubSettings#BATCHING}; asserts only that everything was
 * acknowledged (timings on a shared machine are not a pass/fail criterion).
 */
class PubSubBatchingIT {
    private static final int ROUNDS = 10;

    private record Candidate(String name, BatchingSettings settings) {
    }

    @Test
    void measuresTheBatchingSettings() throws Exception {
        List<Candidate> candidates = List.of(
                new Candidate("chosen: 100 msgs/1MB/1ms", PubSubSettings.BATCHING),
                new Candidate("client default: 100 msgs/1000B/1ms", BatchingSettings.newBuilder()
                        .setElementCountThreshold(100L).setRequestByteThreshold(1000L)
                        .setDelayThresholdDuration(Duration.ofMillis(1)).build()),
                new Candidate("delay 10ms", BatchingSettings.newBuilder().setElementCountThreshold(100L)
                        .setRequestByteThreshold(1_000_000L).setDelayThresholdDuration(Duration.ofMillis(10)).build()),
                new Candidate("delay 50ms", BatchingSettings.newBuilder().setElementCountThreshold(1000L)
                        .setRequestByteThreshold(1_000_000L).setDelayThresholdDuration(Duration.ofMillis(50)).build()),
                // again, last: the first candidate also pays for the JVM's and the emulator's warm-up
                new Candidate("chosen, measured again", PubSubSettings.BATCHING));
        String topic = "Tbatch" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        try (Emulator emulator = new Emulator()) {
            emulator.createTopic(topic);
            for (Candidate c : candidates) {
                try (PubSubTransport transport = PubSubTransport.create(ConfigReader.require(PubSubSettings.MODEL,
                        Map.of(PubSubSettings.PROJECT.env(), Emulator.PROJECT,
                                PubSubSettings.ENDPOINT.env(), Emulator.host())), Naming.ENVIRONMENT, c.settings())) {
                    send(transport, topic, 500, 2); // warm-up: channel, publisher
                    double wave = send(transport, topic, 500, ROUNDS);
                    double single = send(transport, topic, 1, 50);
                    System.out.printf("pubsub batching %-36s 500-event batch: %7.1f ms (%6.0f events/s);"
                            + " 1-event batch: %5.1f ms%n", c.name(), wave, 500 / wave * 1000, single);
                }
            }
        }
    }

    /** Mean milliseconds per send of {@code size} events with distinct keys. */
    private static double send(PubSubTransport transport, String topic, int size, int rounds) {
        long total = 0;
        for (int r = 0; r < rounds; r++) {
            List<OutboxMessage> batch = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                batch.add(new OutboxMessage(UUID.randomUUID(), 1, topic, "k" + i, "ThingHappened",
                        "{\"n\": " + i + ", \"pad\": \"" + "x".repeat(200) + "\"}", Map.of(), Instant.now(), 1));
            }
            long started = System.nanoTime();
            List<SendResult> results = transport.send(batch);
            total += System.nanoTime() - started;
            assertThat(results).allMatch(SendResult::isAcknowledged);
        }
        return total / 1e6 / rounds;
    }
}
