package dev.outbox.relay.transport.nats;

import static dev.outbox.testing.Await.await;
import static dev.outbox.relay.testing.Outages.assertNoneCharged;
import static dev.outbox.relay.testing.Outages.assertStallsBeforeAndDuringABatchAreOutages;
import static dev.outbox.relay.testing.Outages.sendOrOutage;
import static dev.outbox.relay.testing.Outages.unacknowledged;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.spi.TransportFactory;
import dev.outbox.testing.StallingProxy;
import dev.outbox.relay.testing.TransportContract;
import io.nats.client.Connection;
import io.nats.client.FetchConsumer;
import io.nats.client.JetStreamApiException;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The transport contract against a real NATS server with JetStream ({@code OUTBOX_TEST_NATS_URL},
 * e.g. {@code nats://127.0.0.1:4222}). Each test's destination is a file-storage stream named
 * after the aggregate type, capturing the subject of the same name; the independent consumer
 * reads that stream from its first message with a JetStream ordered consumer. Streams are
 * deleted after each test.
 *
 * <p>The server is stopped and started with {@code start-stop-daemon} as installed on the build
 * machines, or with the shell commands in {@code OUTBOX_TEST_NATS_STOP} and
 * {@code OUTBOX_TEST_NATS_START}.
 */
class NatsTransportIT extends TransportContract {
    private static final String DEFAULT_STOP = "start-stop-daemon --stop --oknodo --retry 10 --exec /usr/sbin/nats-server";
    private static final String DEFAULT_START = "start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server"
            + " -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log";

    private final Set<String> streams = new LinkedHashSet<>();
    private final List<Received> received = new ArrayList<>();
    private Connection admin;
    private String consumed;
    private long nextSeq = 1;

    private static String url() {
        String url = System.getenv("OUTBOX_TEST_NATS_URL");
        if (url == null || url.isBlank()) {
            throw new IllegalStateException("OUTBOX_TEST_NATS_URL is not set: the NATS transport tests need a NATS"
                    + " server with JetStream, e.g. OUTBOX_TEST_NATS_URL=nats://127.0.0.1:4222 (start one with: "
                    + DEFAULT_START + ")");
        }
        return url.strip();
    }

    /** The test's own connection (not the transport's): creates streams and consumes. */
    private Connection admin() throws IOException, InterruptedException {
        if (admin == null) {
            admin = Nats.connect(new Options.Builder().server(url()).maxReconnects(-1)
                    .reconnectWait(Duration.ofMillis(200)).connectionName("outbox-test").build());
        }
        return admin;
    }

    @Override
    protected TransportFactory factory() {
        return new NatsTransportFactory();
    }

    @Override
    protected Map<String, String> config(String aggregateType) {
        return Map.of("OUTBOX_NATS_URL", url(), "OUTBOX_ROUTE_DEFAULT", "${aggregatetype}",
                "OUTBOX_NATS_ACK_TIMEOUT", "10s");
    }

    @Override
    protected void createDestination(String aggregateType) throws Exception {
        admin().jetStreamManagement().addStream(StreamConfiguration.builder().name(aggregateType)
                .subjects(aggregateType).storageType(StorageType.File).duplicateWindow(Duration.ofMinutes(2)).build());
        streams.add(aggregateType);
    }

    @Override
    protected void startConsumer(String aggregateType) {
        consumed = aggregateType;
    }

    /**
     * Reads what the stream gained since the last call, with an ordered consumer starting after
     * the last message read: the stream itself is the record of what the server accepted, also
     * across a server restart. While the server is unreachable this returns what was read so far.
     */
    @Override
    protected List<Received> received() throws Exception {
        try {
            long last = admin().jetStreamManagement().getStreamInfo(consumed).getStreamState().getLastSequence();
            while (nextSeq <= last) {
                var consumer = admin().jetStream().getStreamContext(consumed).createOrderedConsumer(
                        new OrderedConsumerConfiguration().deliverPolicy(DeliverPolicy.ByStartSequence).startSequence(nextSeq));
                int want = (int) Math.min(1_000, last - nextSeq + 1);
                FetchConsumer fetch = consumer.fetchMessages(want);
                try {
                    Message m;
                    while ((m = fetch.nextMessage()) != null) {
                        received.add(new Received(m.getSubject(), headers(m.getHeaders()), m.getData()));
                        nextSeq = m.metaData().streamSequence() + 1;
                    }
                } finally {
                    fetch.close(); // explicit: its close() may throw InterruptedException (javac's try lint)
                }
            }
        } catch (IOException | JetStreamApiException | IllegalStateException e) {
            // The server is being restarted; the caller polls again.
        }
        return List.copyOf(received);
    }

    private static Map<String, String> headers(Headers headers) {
        Map<String, String> map = new HashMap<>();
        if (headers != null) {
            headers.keySet().forEach(k -> map.put(k, headers.getFirst(k)));
        }
        return map;
    }

    /** CloudEvents NATS binding, binary mode: {@code ce-<name>} percent-encoded, datacontenttype as content-type. */
    @Override
    protected String attribute(Received message, String name) {
        String value = message.headers().get(name.equals("datacontenttype") ? "content-type" : "ce-" + name);
        return value == null ? null : decode(value);
    }

    /** What a consumer does to read a header value: undo the binding's percent-encoding. */
    static String decode(String value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '%' && i + 2 < value.length()) {
                bytes.write(Integer.parseInt(value.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                bytes.write(c); // header values on NATS are ASCII
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** No stream captures the subject: JetStream answers "no responders", which never changes by itself. */
    @Override
    protected void makeUndeliverable(String aggregateType) throws Exception {
        assertThat(admin().jetStreamManagement().getStreamNames(aggregateType)).as("no stream captures %s", aggregateType)
                .isEmpty();
    }

    @Override
    protected void stopServer() throws Exception {
        run(env("OUTBOX_TEST_NATS_STOP", DEFAULT_STOP));
        await("the NATS server stopped", WAIT, () -> !accepting());
    }

    @Override
    protected void startServer() throws Exception {
        run(env("OUTBOX_TEST_NATS_START", DEFAULT_START));
        await("the NATS server accepts connections", WAIT, NatsTransportIT::accepting);
        if (admin != null) {
            await("the test connection is back", WAIT, () -> admin.getStatus() == Connection.Status.CONNECTED);
        }
    }

    @Override
    protected void cleanUp(String aggregateType) throws Exception {
        try {
            if (!accepting()) {
                startServer(); // never leave the machine's server stopped
            }
            for (String stream : streams) {
                try {
                    admin().jetStreamManagement().deleteStream(stream);
                } catch (JetStreamApiException e) {
                    // Already gone.
                }
            }
        } finally {
            if (admin != null) {
                admin.close();
            }
        }
    }

    private static String env(String key, String defaultValue) {
        String value = System.getenv(key);
        return value == null || value.isBlank() ? defaultValue : value;
    }

    private static void run(String command) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
        assertThat(p.exitValue()).as("exit code of %s: %s", command, output).isZero();
    }

    private static boolean accepting() {
        URI uri = URI.create(url().split(",")[0].strip());
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 4222 : uri.getPort()), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private OutboxMessage message(String aggregateType, int attempt) {
        return new OutboxMessage(UUID.randomUUID(), 1, aggregateType, "k-1", "ThingCreated", "{\"n\": 1}",
                Map.of("traceparent", TRACEPARENT), Instant.parse("2026-11-26T12:00:00Z"), attempt);
    }

    /** The embedders' builder makes the same transport as the factory: its settings apply. */
    @Test
    void aTransportFromTheBuilderDeliversWithItsSettings() throws Exception {
        OutboxMessage m = message("Unrouted", 1);
        try (Transport transport = NatsTransport.builder().url(url()).routes("Unrouted=" + aggregateType)
                .routeDefault("").ackTimeout(Duration.ofSeconds(10)).cloudEventsSource("/builder-it").build()) {
            assertThat(transport.send(List.of(m))).allMatch(SendResult::isAcknowledged);
        }
        awaitReceived(1);
        assertThat(received().get(0).key()).isEqualTo(aggregateType);
        assertThat(attribute(received().get(0), "source")).isEqualTo("/builder-it");
        assertThat(attribute(received().get(0), "id")).isEqualTo(m.id().toString());
    }

    @Test
    void aRetriedEventWithTheSameMsgIdIsStoredOnce() throws Exception {
        OutboxMessage first = message(aggregateType, 1);
        OutboxMessage retry = new OutboxMessage(first.id(), first.seq(), first.aggregateType(), first.aggregateId(),
                first.type(), first.payload(), first.headers(), first.occurredAt(), 2);
        try (Transport transport = transport(Map.of())) {
            assertThat(transport.send(List.of(first))).allMatch(SendResult::isAcknowledged);
            assertThat(transport.send(List.of(retry))).as("a duplicate is acknowledged: the stream holds it")
                    .allMatch(SendResult::isAcknowledged);
        }
        assertThat(admin().jetStreamManagement().getStreamInfo(aggregateType).getStreamState().getMsgCount()).isEqualTo(1);
        awaitReceived(1);
        assertThat(received()).hasSize(1);
        assertThat(attribute(received().get(0), "id")).isEqualTo(first.id().toString());
        assertThat(received().get(0).headers()).containsEntry("Nats-Msg-Id", first.id().toString());
    }

    @Test
    void failsOnlyTheEventsNoStreamCapturesOrWhoseSubjectIsInvalidPermanently() {
        OutboxMessage good = message(aggregateType, 1);
        OutboxMessage noStream = message(aggregateType + "nostream", 1);
        OutboxMessage wildcard = message(aggregateType + ".*", 1);
        List<SendResult> results;
        try (Transport transport = transport(Map.of())) {
            results = transport.send(List.of(good, noStream, wildcard));
        }
        assertThat(results).extracting(SendResult::eventId).containsExactly(good.id(), noStream.id(), wildcard.id());
        assertThat(results.get(0).isAcknowledged()).isTrue();
        assertThat(results.get(1).failure().retryable()).isFalse();
        assertThat(results.get(1).failure()).hasMessageContaining("no JetStream stream captures the subject");
        assertThat(results.get(2).failure().retryable()).isFalse();
        assertThat(results.get(2).failure()).hasMessageContaining("wildcards");
    }

    @Test
    void anEventLargerThanTheServersMaxPayloadFailsPermanently() throws Exception {
        OutboxMessage small = message(aggregateType, 1);
        OutboxMessage huge = new OutboxMessage(UUID.randomUUID(), 2, aggregateType, "k-2", "ThingCreated",
                "{\"blob\": \"" + "x".repeat(2 * 1024 * 1024) + "\"}", Map.of(), Instant.now(), 1);
        List<SendResult> results;
        try (Transport transport = transport(Map.of())) {
            results = transport.send(List.of(huge, small));
        }
        assertThat(results.get(0).failure().retryable()).isFalse();
        int size = huge.payload().getBytes(StandardCharsets.UTF_8).length;
        assertThat(results.get(0).failure()).hasMessageContaining("max_payload")
                .hasMessageContaining(admin().getServerInfo().getMaxPayload() + " bytes")
                .hasMessageContaining(size + " bytes");
        assertThat(results.get(1).isAcknowledged()).isTrue();
    }

    /**
     * A server that stops answering (behind a proxy that stops forwarding) is an outage: before a
     * batch, and in its middle (the server got and acknowledged only the start of the batch). No
     * event is charged; after the stall everything is stored.
     */
    @Test
    void aServerThatStopsAnsweringBeforeOrDuringABatchIsAnOutage() throws Exception {
        URI server = URI.create(url());
        List<OutboxMessage> all = new ArrayList<>();
        try (StallingProxy proxy = StallingProxy.to(server.getHost(), server.getPort());
             Transport transport = transport(Map.of("OUTBOX_NATS_URL", "nats://" + proxy.address(),
                     "OUTBOX_NATS_ACK_TIMEOUT", "2s"))) {
            assertThat(transport.send(List.of(message(aggregateType, 1)))).allMatch(SendResult::isAcknowledged);

            List<OutboxMessage> before = batch(50, 100);
            List<OutboxMessage> during = batch(200, 1_000);
            assertStallsBeforeAndDuringABatchAreOutages(transport, proxy, before, during, () -> { }, WAIT);
            all.addAll(before);
            all.addAll(during);
        }
        awaitReceived(1 + all.size());
        Set<String> ids = new LinkedHashSet<>();
        received().forEach(m -> ids.add(attribute(m, "id")));
        all.forEach(m -> assertThat(ids).contains(m.id().toString()));
    }

    /** Closing while the server does not answer returns within a few seconds (the relay's shutdown is bounded). */
    @Test
    void closingDuringAStallReturnsPromptly() throws Exception {
        URI server = URI.create(url());
        try (StallingProxy proxy = StallingProxy.to(server.getHost(), server.getPort())) {
            Transport transport = transport(Map.of("OUTBOX_NATS_URL", "nats://" + proxy.address(),
                    "OUTBOX_NATS_ACK_TIMEOUT", "10s"));
            assertThat(transport.send(List.of(message(aggregateType, 1)))).allMatch(SendResult::isAcknowledged);
            proxy.stall();
            CompletableFuture<List<SendResult>> sending = CompletableFuture.supplyAsync(
                    () -> sendOrOutage(transport, batch(20, 100)));
            long started = System.nanoTime();
            transport.close();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("close() during a stall")
                    .isLessThan(Duration.ofSeconds(3));
            assertNoneCharged(sending.get(30, TimeUnit.SECONDS));
        }
    }

    /**
     * The connection is cut while the transport waits for PubAcks (a server crash, a network cut):
     * the client never fails the pending requests, so the transport must notice the lost
     * connection itself and end the wait as an outage at once, not after the ack timeout (30 s).
     */
    @Test
    void aConnectionLostWhileWaitingForPubAcksEndsTheWaitAtOnceAsAnOutage() throws Exception {
        URI server = URI.create(url());
        try (StallingProxy proxy = StallingProxy.to(server.getHost(), server.getPort());
             Transport transport = transport(Map.of("OUTBOX_NATS_URL", "nats://" + proxy.address(),
                     "OUTBOX_NATS_ACK_TIMEOUT", "30s"))) {
            assertThat(transport.send(List.of(message(aggregateType, 1)))).allMatch(SendResult::isAcknowledged);
            List<OutboxMessage> batch = batch(200, 1_000);
            proxy.stallRequestsAfter(50_000);
            CompletableFuture<List<SendResult>> sending = CompletableFuture.supplyAsync(() -> sendOrOutage(transport, batch));
            await("the rest of the batch held back by the proxy", WAIT, proxy::holdingRequests);

            long cut = System.nanoTime();
            proxy.cutAll();
            proxy.resume();
            List<SendResult> results = sending.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(Duration.ofNanos(System.nanoTime() - cut)).as("the wait ended with the connection")
                    .isLessThan(Duration.ofSeconds(5));
            assertNoneCharged(results);
            assertThat(results).anyMatch(r -> !r.isAcknowledged());

            List<OutboxMessage> rest = unacknowledged(batch, results);
            await("the unacknowledged events are stored after the reconnect", WAIT,
                    () -> sendOrOutage(transport, rest).stream().allMatch(SendResult::isAcknowledged));
        }
        awaitReceived(201);
    }

    private List<OutboxMessage> batch(int count, int payloadBytes) {
        List<OutboxMessage> batch = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            batch.add(new OutboxMessage(UUID.randomUUID(), i + 1, aggregateType, "k-" + i, "ThingCreated",
                    "{\"pad\": \"" + "x".repeat(payloadBytes) + "\"}", Map.of(), Instant.now(), 1));
        }
        return batch;
    }

    @Test
    void aBatchFailsFastWhileDisconnectedAndTheConnectionHealsAfterTheServerIsBack() throws Exception {
        try (Transport transport = transport(Map.of())) {
            assertThat(transport.send(List.of(message(aggregateType, 1)))).allMatch(SendResult::isAcknowledged);
            stopServer();
            try {
                // Once the client has noticed the lost connection (at once, or after a publish
                // that waited for its PubAck), a batch fails at once, as an outage.
                await("a batch fails fast while disconnected", WAIT, () -> {
                    long start = System.nanoTime();
                    List<SendResult> results = sendOrOutage(transport, List.of(message(aggregateType, 1)));
                    assertNoneCharged(results);
                    assertThat(results).noneMatch(SendResult::isAcknowledged);
                    return Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(2)) < 0;
                });
            } finally {
                startServer();
            }
            await("a batch is acknowledged again", WAIT, () -> {
                try {
                    return transport.send(List.of(message(aggregateType, 1))).get(0).isAcknowledged();
                } catch (TransportException e) {
                    return false; // still reconnecting
                }
            });
        }
        awaitReceived(2);
    }
}
