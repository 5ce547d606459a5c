package dev.outbox.relay;

import static dev.outbox.relay.testing.Events.awaitAllPublished;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.SendTracing;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.testing.CapturedLogs;
import dev.outbox.relay.testing.Events;
import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link Relay.Builder#tracing}: the transport gets the traced messages, the tracer learns every
 * result, and a tracer that fails or misbehaves never changes what is sent, marked or ordered.
 */
class TracingIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    final RelayDatabase fixture = new RelayDatabase();
    private TestDatabase db;

    @BeforeEach
    void database() {
        db = fixture.db();
    }

    @Test
    void theTransportGetsTheTracedHeadersTheTracerEveryResultAndTheStoredEventKeepsItsHeaders() {
        Events.insert(db, 20, 4, "OrderPlaced");
        Map<UUID, Boolean> ended = new ConcurrentHashMap<>();
        SendTracing tracing = (transport, batch) -> new SendTracing.Send() {
            @Override
            public List<OutboxMessage> messages() {
                List<OutboxMessage> traced = new ArrayList<>();
                for (OutboxMessage m : batch) {
                    Map<String, String> headers = new HashMap<>(m.headers());
                    headers.put("traced", "yes");
                    traced.add(new OutboxMessage(m.id(), m.seq(), m.aggregateType(), m.aggregateId(), m.type(),
                            m.payload(), headers, m.occurredAt(), m.attempt()));
                }
                return traced;
            }

            @Override
            public void end(Map<UUID, SendResult> results, TransportException failure) {
                batch.forEach(m -> ended.put(m.id(), results.get(m.id()).isAcknowledged() && failure == null));
            }
        };
        fixture.start(Relay.builder(fixture.relayRole(), fixture.sink("t")).config(RelayDatabase.fast().build())
                .tracing(tracing));

        awaitAllPublished(db, WAIT);
        assertThat(db.queryLong("SELECT count(*) FROM sink WHERE headers LIKE '%traced%'")).isEqualTo(20);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event_history WHERE headers ? 'traced'"))
                .as("stored headers unchanged").isZero();
        assertThat(ended).hasSize(20).doesNotContainValue(false);
    }

    @Test
    void aTracerThatThrowsOrReordersChangesNothingThatIsSentMarkedOrOrdered() {
        Events.insert(db, 300, 10, "OrderPlaced");
        AtomicInteger calls = new AtomicInteger();
        SendTracing broken = (transport, batch) -> {
            int call = calls.incrementAndGet();
            if (call % 3 == 0) {
                throw new IllegalStateException("start failed");
            }
            return new SendTracing.Send() {
                @Override
                public List<OutboxMessage> messages() {
                    List<OutboxMessage> reversed = new ArrayList<>(batch);
                    Collections.reverse(reversed);
                    return call % 3 == 1 ? reversed : batch.subList(0, batch.size() - 1);
                }

                @Override
                public void end(Map<UUID, SendResult> results, TransportException failure) {
                    throw new IllegalStateException("end failed");
                }
            };
        };
        try (CapturedLogs logs = CapturedLogs.start()) {
            // Several events per key in one call: a reordered list would break per-key order.
            fixture.start(Relay.builder(fixture.relayRole(), fixture.sink("t").keepingOrderWithinBatch())
                    .config(RelayDatabase.fast().batchSize(50).build()).tracing(broken));

            awaitAllPublished(db, WAIT);
            Events.Received received = Events.received(db);
            assertThat(received.distinct()).isEqualTo(300);
            assertThat(received.duplicates()).isZero();
            assertThat(received.keysOutOfOrder()).isEmpty();
            assertThat(db.queryLong("SELECT count(*) FROM outbox.event_history WHERE attempts > 0")).isZero();
            assertThat(calls.get()).isGreaterThan(3);
            assertThat(logs.text()).contains("WARN dev.outbox.relay - tracing failed, delivery goes on untraced");
            assertThat(logs.text().lines().filter(l -> l.contains("tracing failed") && l.contains(" WARN ")).count())
                    .as("one warning, the repeats at DEBUG").isEqualTo(1);
        }
    }
}
