package dev.outbox.relay.transport.redis;

import static dev.outbox.testing.Await.await;
import static dev.outbox.relay.testing.Outages.sendOrOutage;
import static dev.outbox.relay.testing.Outages.assertNoneCharged;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.outbox.relay.config.ConfigReader;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.spi.TransportFactory;
import dev.outbox.relay.testing.CapturedLogs;
import dev.outbox.testing.StallingProxy;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.testing.TransportContract;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.params.XReadParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The transport contract against a real Redis server ({@code OUTBOX_TEST_REDIS_URL}, e.g.
 * {@code redis://127.0.0.1:6379}), read back with Jedis' own {@code XREAD}, plus what is
 * particular to Redis Streams: key prefix, field mapping on the wire, {@code MAXLEN ~} trimming,
 * {@code WRONGTYPE} and {@code OOM} replies, reconnecting with the same transport.
 *
 * <p>The server is stopped and started with {@code OUTBOX_TEST_REDIS_STOP} /
 * {@code OUTBOX_TEST_REDIS_START} (default: {@code redis-cli … shutdown nosave} and the machine's
 * {@code redis-server --daemonize yes …}); it is started again after every test that stopped it,
 * and every key a test wrote is deleted.
 */
class RedisTransportIT extends TransportContract {
    private static final String URL_ENV = "OUTBOX_TEST_REDIS_URL";
    private static final String DEFAULT_START = "redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379"
            + " --save \"\" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log";
    private static final Duration SERVER_WAIT = Duration.ofSeconds(30);
    private static final String TEST_PREFIX = "outbox-test:";

    private RedisClient consumer;
    private String stream;
    private StreamEntryID lastRead;
    private final List<Received> received = new ArrayList<>();
    private final List<Transport> transports = new ArrayList<>();

    private static String url() {
        String url = System.getenv(URL_ENV);
        if (url == null || url.isBlank()) {
            throw new IllegalStateException(URL_ENV + " is not set: point it at a Redis server, e.g."
                    + " redis://127.0.0.1:6379 (these tests never skip)");
        }
        return url.strip();
    }

    private static URI uri() {
        return URI.create(url());
    }

    @Override
    protected TransportFactory factory() {
        return new RedisTransportFactory();
    }

    @Override
    protected Map<String, String> config(String aggregateType) {
        // OUTBOX_ROUTE_DEFAULT left out on purpose: its default is ${aggregatetype}.
        return Map.of("OUTBOX_REDIS_URL", url());
    }

    /** Nothing to do: XADD creates the stream, and the consumer reads it from id 0. */
    @Override
    protected void createDestination(String aggregateType) {
    }

    @Override
    protected void startConsumer(String aggregateType) {
        consumer = RedisClient.create(uri());
        stream = aggregateType;
        lastRead = new StreamEntryID(0, 0);
    }

    @Override
    protected List<Received> received() {
        return redis(c -> {
            while (true) {
                List<Map.Entry<String, List<StreamEntry>>> reply =
                        c.xread(XReadParams.xReadParams().count(1000), Map.of(stream, lastRead));
                if (reply == null || reply.isEmpty() || reply.get(0).getValue().isEmpty()) {
                    return List.copyOf(received);
                }
                for (StreamEntry entry : reply.get(0).getValue()) {
                    received.add(toReceived(entry));
                    lastRead = entry.getID();
                }
            }
        });
    }

    private static Received toReceived(StreamEntry entry) {
        Map<String, String> headers = new LinkedHashMap<>(entry.getFields());
        String data = headers.remove(RedisStreamFields.DATA);
        return new Received(headers.get("ce_subject"), headers,
                data == null ? new byte[0] : data.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    protected String attribute(Received message, String name) {
        return message.headers().get(RedisStreamFields.ATTRIBUTE_PREFIX + name);
    }

    /** A plain string at the stream's key: every XADD to it fails with WRONGTYPE. */
    @Override
    protected void makeUndeliverable(String aggregateType) {
        redis(c -> c.set(aggregateType, "x"));
    }

    @Override
    protected void stopServer() throws Exception {
        URI uri = uri();
        run(env("OUTBOX_TEST_REDIS_STOP", "redis-cli -h " + uri.getHost() + " -p " + port(uri) + " shutdown nosave"));
        await("Redis stopped answering", SERVER_WAIT, () -> !answers());
    }

    @Override
    protected void startServer() throws Exception {
        int exit = run(env("OUTBOX_TEST_REDIS_START", DEFAULT_START));
        assertThat(exit).as("exit code of the Redis start command").isZero();
        await("Redis answers PING", SERVER_WAIT, RedisTransportIT::answers);
    }

    @Override
    protected void cleanUp(String aggregateType) throws Exception {
        try {
            transports.forEach(Transport::close);
            if (!answers()) {
                startServer(); // a test that failed half-way must not leave the server down
            }
            redis(c -> c.del(aggregateType, aggregateType + "x", TEST_PREFIX + aggregateType,
                    TEST_PREFIX + aggregateType + "x"));
        } finally {
            if (consumer != null) {
                consumer.close();
            }
        }
    }

    @AfterAll
    static void leaveTheServerRunning() throws Exception {
        if (!answers()) {
            run(env("OUTBOX_TEST_REDIS_START", DEFAULT_START));
            await("Redis answers PING", SERVER_WAIT, RedisTransportIT::answers);
        }
    }

    @Test
    void writesEachEventAsOneStreamEntryUnderTheKeyPrefixWithTheDocumentedFields() {
        Transport transport = open(Map.of("OUTBOX_REDIS_KEY_PREFIX", TEST_PREFIX,
                "OUTBOX_ROUTES", aggregateType + "=" + aggregateType, "OUTBOX_CLOUDEVENTS_SOURCE", "/shop"));
        OutboxMessage m = message(aggregateType, "o-1", "{\"total\": 12.50, \"text\": \"äö € 😀\"}",
                Map.of("traceparent", TRACEPARENT, "X-Tenant", "acme"));

        List<SendResult> results = transport.send(List.of(m));

        assertThat(results).containsExactly(SendResult.acknowledged(m.id()));
        List<StreamEntry> entries = redis(c -> c.xrange(TEST_PREFIX + aggregateType, "-", "+"));
        assertThat(entries).hasSize(1);
        assertThat(entries.get(0).getFields()).containsExactlyInAnyOrderEntriesOf(
                RedisStreamFields.of(CloudEvent.of(m, "/shop")));
        assertThat(entries.get(0).getFields()).containsEntry("h_X-Tenant", "acme")
                .containsEntry("ce_traceparent", TRACEPARENT).containsEntry("data", m.payload());
        boolean unprefixed = redis(c -> c.exists(aggregateType));
        assertThat(unprefixed).as("nothing without the prefix").isFalse();
    }

    @Test
    void aTransportFromTheBuilderWritesLikeOneFromTheEnvironment() {
        Transport transport = RedisTransport.builder().url(url()).keyPrefix(TEST_PREFIX).maxLen(1000)
                .timeout(Duration.ofSeconds(5)).routes(aggregateType + "=" + aggregateType).routeDefault("")
                .cloudEventsSource("/shop").build();
        transports.add(transport);
        OutboxMessage m = message(aggregateType, "o-1", "{\"total\": 1}", Map.of());

        assertThat(transport.send(List.of(m))).containsExactly(SendResult.acknowledged(m.id()));
        List<StreamEntry> entries = redis(c -> c.xrange(TEST_PREFIX + aggregateType, "-", "+"));
        assertThat(entries).singleElement().satisfies(e -> assertThat(e.getFields())
                .containsExactlyInAnyOrderEntriesOf(RedisStreamFields.of(CloudEvent.of(m, "/shop"))));
    }

    @Test
    void trimsEachStreamToAboutMaxLenEntries() {
        int maxLen = 50;
        Transport transport = open(Map.of("OUTBOX_REDIS_KEY_PREFIX", TEST_PREFIX,
                "OUTBOX_REDIS_MAXLEN", String.valueOf(maxLen)));
        OutboxMessage last = null;
        for (int batch = 0; batch < 20; batch++) {
            List<OutboxMessage> messages = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                last = message(aggregateType, "k-" + i, "{\"batch\": " + batch + "}", Map.of());
                messages.add(last);
            }
            assertThat(transport.send(messages)).allMatch(SendResult::isAcknowledged);
        }

        // "~" lets Redis trim whole radix-tree nodes only, so up to one node more stays.
        int nodeSize = Integer.parseInt(redis(c -> c.configGet("stream-node-max-entries"))
                .get("stream-node-max-entries"));
        long length = xlen(TEST_PREFIX + aggregateType);
        assertThat(length).as("length after 1000 entries with MAXLEN ~ %d", maxLen)
                .isBetween((long) maxLen, (long) maxLen + nodeSize);
        List<StreamEntry> newest = redis(c -> c.xrevrange(TEST_PREFIX + aggregateType, "+", "-", 1));
        assertThat(newest.get(0).getFields()).containsEntry("ce_id", last.id().toString());
    }

    @Test
    void aKeyThatIsNotAStreamFailsOnlyItsEventAndNotRetryably() {
        String poison = aggregateType + "x";
        makeUndeliverable(poison);
        Transport transport = open(Map.of());
        OutboxMessage bad = message(poison, "k-1", "{}", Map.of());
        OutboxMessage good = message(aggregateType, "k-2", "{}", Map.of());

        List<SendResult> results = transport.send(List.of(bad, good));

        assertThat(results).hasSize(2);
        assertThat(results.get(0).eventId()).isEqualTo(bad.id());
        assertThat(results.get(0).failure().retryable()).isFalse();
        assertThat(results.get(0).failure()).hasMessageContaining("WRONGTYPE").hasMessageContaining(poison);
        assertThat(results.get(1)).isEqualTo(SendResult.acknowledged(good.id()));
        assertThat(xlen(aggregateType)).isEqualTo(1);
    }

    @Test
    void aServerOutOfMemoryFailsTheBatchRetryablyAndAcceptsItOnceMemoryIsBack() {
        Transport transport = open(Map.of());
        List<OutboxMessage> batch = List.of(message(aggregateType, "k-1", "{}", Map.of()),
                message(aggregateType, "k-2", "{}", Map.of()));
        String maxmemory = redis(c -> c.configGet("maxmemory")).get("maxmemory");
        redis(c -> c.configSet("maxmemory", "1"));
        try {
            assertThatThrownBy(() -> transport.send(batch))
                    .isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.retryable()).isTrue())
                    .hasMessageContaining("OOM");
        } finally {
            redis(c -> c.configSet("maxmemory", maxmemory));
        }

        assertThat(transport.send(batch)).allMatch(SendResult::isAcknowledged);
    }

    @Test
    void theSameTransportReconnectsAfterTheServerRestarts() throws Exception {
        Transport transport = open(Map.of("OUTBOX_REDIS_TIMEOUT", "2s"));
        assertThat(transport.send(List.of(message(aggregateType, "k", "{\"n\": 1}", Map.of()))))
                .allMatch(SendResult::isAcknowledged);

        stopServer();
        try {
            assertThatThrownBy(() -> transport.send(List.of(message(aggregateType, "k", "{\"n\": 2}", Map.of()))))
                    .isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.retryable()).isTrue())
                    .hasMessageContaining("unreachable");
        } finally {
            startServer();
        }

        // The server kept nothing on disk, so the stream starts anew.
        assertThat(transport.send(List.of(message(aggregateType, "k", "{\"n\": 3}", Map.of()))))
                .as("first batch after the restart").allMatch(SendResult::isAcknowledged);
        assertThat(xlen(aggregateType)).isEqualTo(1);
    }

    @Test
    void refusedCredentialsFailTheWholeBatchRetryablyWithoutShowingThePassword() {
        URI server = uri();
        StringBuilder shown = new StringBuilder();
        try (CapturedLogs logs = CapturedLogs.start()) {
            for (String url : List.of("redis://Us3rMark:Pa55Mark@" + server.getHost() + ":" + port(server),
                    "redis://Us3rMark:Pa55Mark@127.0.0.1:1")) {
                Transport transport = open(Map.of("OUTBOX_REDIS_URL", url, "OUTBOX_REDIS_TIMEOUT", "1s"));
                Throwable thrown = catchThrowable(() -> transport.send(List.of(message(aggregateType, "k", "{}", Map.of()))));
                assertThat(thrown).isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.outage()).isTrue());
                shown.append(thrown.getMessage()).append(CapturedLogs.stackTrace(thrown));
                shown.append(RedisSettings.from(ConfigReader.require(RedisSettings.MODEL, Map.of("OUTBOX_REDIS_URL", url))));
            }
            shown.append(logs.text());
        }
        assertThat(shown.toString()).contains("refused the connection", "unreachable").doesNotContain("Pa55Mark");
        boolean written = redis(c -> c.exists(aggregateType));
        assertThat(written).isFalse();
    }

    /**
     * A server that stops answering (behind a proxy that stops forwarding) before or during a
     * batch is an outage of the whole batch; after the stall everything is written.
     */
    @Test
    void aStalledServerIsAnOutageBeforeAndDuringABatch() {
        URI server = uri();
        List<OutboxMessage> batch = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            batch.add(message(aggregateType, "k" + i, "{\"pad\": \"" + "x".repeat(1_000) + "\"}", Map.of()));
        }
        try (StallingProxy proxy = StallingProxy.to(server.getHost(), port(server))) {
            Transport transport = open(Map.of("OUTBOX_REDIS_URL", "redis://" + proxy.address(),
                    "OUTBOX_REDIS_TIMEOUT", "1s"));
            assertThat(transport.send(batch.subList(0, 1))).allMatch(SendResult::isAcknowledged);

            proxy.stall();
            assertThatThrownBy(() -> transport.send(batch))
                    .isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.outage()).isTrue());
            proxy.resume();

            proxy.stallRequestsAfter(50_000);
            assertThatThrownBy(() -> transport.send(batch))
                    .isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.outage()).isTrue());
            proxy.resume();

            await("the batch is written after the stall", WAIT,
                    () -> sendOrOutage(transport, batch).stream().allMatch(SendResult::isAcknowledged));
        }
        Set<String> ids = new HashSet<>();
        received().forEach(m -> ids.add(attribute(m, "id")));
        batch.forEach(m -> assertThat(ids).contains(m.id().toString()));
    }

    /**
     * An entry with a field longer than the server's proto-max-bulk-len (a private server started
     * with the least value, 1mb) fails permanently, naming the field, its size and the limit; the
     * rest of the batch is written. Redis would answer such a command with a protocol error and
     * close the connection, failing every batch that holds the event.
     */
    @Test
    void aFieldLongerThanTheServersProtoMaxBulkLenFailsPermanently() throws Exception {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Process redis = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--proto-max-bulk-len", "1mb")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try (RedisClient own = RedisClient.create("127.0.0.1", port)) {
            await("the private Redis answers PING", SERVER_WAIT, () -> {
                try {
                    return "PONG".equals(own.ping());
                } catch (JedisConnectionException e) {
                    return false;
                }
            });
            OutboxMessage big = message(aggregateType, "big", "{\"blob\": \"" + "x".repeat(1_500_000) + "\"}", Map.of());
            OutboxMessage small = message(aggregateType, "small", "{}", Map.of());
            Transport transport = open(Map.of("OUTBOX_REDIS_URL", "redis://127.0.0.1:" + port));
            List<SendResult> results = transport.send(List.of(big, small));

            assertThat(results.get(0).failure()).isNotNull().satisfies(f -> {
                assertThat(f.retryable()).isFalse();
                assertThat(f.getMessage()).contains("proto-max-bulk-len", "1048576 bytes",
                        big.payload().getBytes(StandardCharsets.UTF_8).length + " bytes");
            });
            assertThat(results.get(1).isAcknowledged()).isTrue();
            assertThat(own.xlen(aggregateType)).isEqualTo(1);
        } finally {
            redis.destroy();
            assertThat(redis.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** Closing while the server does not answer returns within a few seconds (the relay's shutdown is bounded). */
    @Test
    void closingDuringAStallReturnsPromptly() throws Exception {
        URI server = uri();
        try (StallingProxy proxy = StallingProxy.to(server.getHost(), port(server))) {
            Transport transport = transport(Map.of("OUTBOX_REDIS_URL", "redis://" + proxy.address(),
                    "OUTBOX_REDIS_TIMEOUT", "10s"));
            assertThat(transport.send(List.of(message(aggregateType, "k", "{}", Map.of()))))
                    .allMatch(SendResult::isAcknowledged);
            proxy.stall();
            CompletableFuture<List<SendResult>> sending = CompletableFuture.supplyAsync(
                    () -> sendOrOutage(transport, List.of(message(aggregateType, "k2", "{}", Map.of()))));
            long started = System.nanoTime();
            transport.close();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("close() during a stall")
                    .isLessThan(Duration.ofSeconds(3));
            assertNoneCharged(sending.get(30, TimeUnit.SECONDS));
        }
    }

    private Transport open(Map<String, String> extra) {
        Transport transport = transport(extra);
        transports.add(transport);
        return transport;
    }

    private long xlen(String key) {
        return redis(c -> c.xlen(key));
    }

    private static OutboxMessage message(String aggregateType, String key, String payload, Map<String, String> headers) {
        return new OutboxMessage(UUID.randomUUID(), 1, aggregateType, key, "ThingHappened", payload, headers,
                Instant.parse("2026-11-26T12:00:00.123Z"), 1);
    }

    /**
     * Runs a command with the test's own client, again while the connection breaks: after a
     * server restart the pool's idle connection is dead, which the first call finds out.
     */
    private <T> T redis(Function<RedisClient, T> command) {
        long deadline = System.nanoTime() + SERVER_WAIT.toNanos();
        while (true) {
            try {
                return command.apply(consumer);
            } catch (JedisConnectionException e) {
                if (System.nanoTime() - deadline > 0) {
                    throw e;
                }
            }
        }
    }

    private static boolean answers() {
        try (RedisClient probe = RedisClient.create(uri())) {
            return "PONG".equals(probe.ping());
        } catch (JedisConnectionException e) {
            return false;
        }
    }

    private static int port(URI uri) {
        return uri.getPort() < 0 ? RedisSettings.DEFAULT_PORT : uri.getPort();
    }

    private static String env(String name, String defaultValue) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? defaultValue : value;
    }

    private static int run(String command) throws Exception {
        Process process = new ProcessBuilder("bash", "-c", command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("timed out after 60 s: " + command);
        }
        return process.exitValue();
    }
}
