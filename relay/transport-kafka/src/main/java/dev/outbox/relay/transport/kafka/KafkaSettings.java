package dev.outbox.relay.transport.kafka;

import static dev.outbox.relay.config.Setting.between;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.config.Naming;
import dev.outbox.relay.config.Redaction;
import dev.outbox.relay.config.Setting;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.transport.Router;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The settings of the {@code kafka} transport, each declared once ({@link #MODEL}), and the
 * validated, immutable configuration of one {@link KafkaTransport} made from their values by
 * {@link #from}, which also reads the properties file ({@link #PROPERTIES_FILE}). Messages name
 * the key as the user wrote it ({@link Naming}), the rule and the value; values of the properties
 * file (SASL/TLS secrets) never appear in messages or in {@link #toString()}.
 *
 * @param bootstrapServers {@code host:port[,host:port…]}
 * @param clientId Kafka {@code client.id} of the producer (the admin client adds {@code -admin})
 * @param compression {@code none}, {@code gzip}, {@code snappy}, {@code lz4} or {@code zstd}
 * @param maxRequestSize the producer's {@code max.request.size}: larger records fail permanently
 * @param ackTimeout longest wait in one {@code send} for the broker's acknowledgements
 * @param maxBlock the producer's {@code max.block.ms}: longest wait for a topic's metadata
 * @param extraProperties producer/admin properties from {@link #PROPERTIES_FILE} (secrets)
 * @param router event → topic
 * @param source the CloudEvents {@code source}
 * @param naming how the transport's messages name its settings: as the user configured it
 */
record KafkaSettings(String bootstrapServers, String clientId, String compression, int maxRequestSize,
                     Duration ackTimeout, Duration maxBlock, Map<String, String> extraProperties, Router router,
                     String source, Naming naming) {

    private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9a-fA-F:.]+]|[A-Za-z0-9._-]+):(\\d{1,5})");
    private static final Pattern CLIENT_ID_CHARS = Pattern.compile("[A-Za-z0-9._-]{1,200}");

    public static final Setting<String> BOOTSTRAP_SERVERS = Setting.text("kafka.bootstrapServers",
                    "OUTBOX_KAFKA_BOOTSTRAP_SERVERS").required().check(KafkaSettings::bootstrapProblem)
            .shownType("host:port[,host:port…]")
            .description("The Kafka brokers to connect to, as `host:port[,host:port…]`.").build();
    public static final Setting<String> CLIENT_ID = Setting.text("kafka.clientId", "OUTBOX_KAFKA_CLIENT_ID")
            .defaultValue("outbox-relay")
            .matching(CLIENT_ID_CHARS, "1-200 characters of A-Z, a-z, 0-9, '.', '_' and '-'")
            .description("The producer's `client.id`; the admin client's is this with `-admin`.").build();
    /** Every codec whose library kafka-clients brings along (gzip is in the JDK). */
    public static final Setting<String> COMPRESSION = Setting.choice("kafka.compression", "OUTBOX_KAFKA_COMPRESSION",
                    List.of("none", "gzip", "snappy", "lz4", "zstd")).defaultValue("none")
            .description("Compression of the records: `none`, `gzip`, `snappy`, `lz4` or `zstd`.").build();
    public static final Setting<Integer> MAX_REQUEST_SIZE = Setting.integer("kafka.maxRequestSize",
                    "OUTBOX_KAFKA_MAX_REQUEST_SIZE").defaultValue(1_048_576).check(between(1024, Integer.MAX_VALUE))
            .description("The producer's `max.request.size` in bytes: a larger record fails permanently (the"
                    + " topic's `max.message.bytes` applies too).").build();
    /** Below the relay's default send timeout (30s): this transport, not the relay's interrupt, reports each event. */
    public static final Setting<Duration> ACK_TIMEOUT = Setting.duration("kafka.ackTimeout", "OUTBOX_KAFKA_ACK_TIMEOUT")
            .defaultValue(Duration.ofSeconds(25)).check(between(Duration.ofSeconds(1), Duration.ofMinutes(10)))
            .description("Longest wait for a batch's acknowledgements; keep it below `OUTBOX_SEND_TIMEOUT`.").build();
    public static final Setting<Duration> MAX_BLOCK = Setting.duration("kafka.maxBlock", "OUTBOX_KAFKA_MAX_BLOCK")
            .defaultValue(Duration.ofSeconds(5)).check(between(Duration.ofMillis(100), Duration.ofMinutes(5)))
            .description("Longest wait for a topic's metadata (the producer's `max.block.ms`).").build();
    /** Read by {@link #from}, not by a check: reading a file is work for creating the transport. */
    public static final Setting<String> PROPERTIES_FILE = Setting.text("kafka.propertiesFile",
                    "OUTBOX_KAFKA_PROPERTIES_FILE").shownType("path")
            .description("A properties file of further producer and admin client properties, e.g."
                    + " `security.protocol`, `sasl.jaas.config`, `ssl.truststore.location`; its values are treated"
                    + " as secrets and never shown. It cannot change idempotence, acks, serializers or partitioning,"
                    + " nor what the keys above set.").build();
    /** Empty sends only routed events. */
    public static final Setting<String> ROUTE_DEFAULT = Router.routeDefault("${aggregatetype}");

    /** Every setting the {@code kafka} transport reads. */
    public static final ConfigModel MODEL = ConfigModel.of("kafka", List.of(BOOTSTRAP_SERVERS, CLIENT_ID,
            COMPRESSION, MAX_REQUEST_SIZE, ACK_TIMEOUT, MAX_BLOCK, PROPERTIES_FILE, Router.ROUTES, ROUTE_DEFAULT,
            CloudEvent.SOURCE));

    /**
     * The relay awaits every wave before sending the next, so lingering only adds latency: the
     * producer still batches the records that queue up while a request is in flight. Measured
     * here (one broker on 127.0.0.1): 1-event batches took 8-11 ms with Kafka's default of 5 ms,
     * 1.5-3 ms with 0; 500-event batches 11-18 ms either way.
     */
    static final int LINGER_MS = 0;

    KafkaSettings {
        extraProperties = Collections.unmodifiableMap(new TreeMap<>(extraProperties));
    }

    /**
     * The configuration of validated values, with the properties file read.
     *
     * @param naming how messages name the settings: as the user wrote them
     * @throws OutboxException naming the properties file's key, the rule and the property (never
     *         a value of the file) if the file cannot be read or sets what it must not
     * @throws IllegalArgumentException if these are values of another model
     */
    static KafkaSettings from(ConfigValues values, Naming naming) {
        if (values.model() != MODEL) {
            throw new IllegalArgumentException("values of " + values.model().name() + ", not of kafka");
        }
        Map<String, String> extra = values.find(PROPERTIES_FILE).map(String::strip).filter(p -> !p.isEmpty())
                .map(path -> readProperties(path, naming)).orElse(Map.of());
        return new KafkaSettings(values.get(BOOTSTRAP_SERVERS).strip(), values.get(CLIENT_ID),
                values.get(COMPRESSION), values.get(MAX_REQUEST_SIZE), values.get(ACK_TIMEOUT), values.get(MAX_BLOCK),
                extra, Router.of(values, ROUTE_DEFAULT), values.get(CloudEvent.SOURCE), naming);
    }

    /** The name of {@code setting} in this transport's messages. */
    String name(Setting<?> setting) {
        return setting.name(naming);
    }

    /** The producer's configuration: the file's properties, then ours, which the file may not change. */
    Map<String, Object> producerProperties() {
        Map<String, Object> p = new HashMap<>(extraProperties);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        // Idempotence keeps order within a partition for up to 5 requests in flight.
        p.putIfAbsent(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxRequestSize);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, maxBlock.toMillis());
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, LINGER_MS);
        // The producer gives up on a record about when send() stops waiting for it, so a record
        // abandoned after an outage does not turn up long after its retry.
        long linger = Long.parseLong(String.valueOf(p.get(ProducerConfig.LINGER_MS_CONFIG)).strip());
        p.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
                (int) Math.max(500, Math.min(30_000, ackTimeout.toMillis() - linger)));
        long request = Long.parseLong(String.valueOf(p.get(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG)).strip());
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.max(ackTimeout.toMillis(), linger + request));
        return p;
    }

    /** The admin client's configuration: connection and security settings shared with the producer. */
    Map<String, Object> adminProperties() {
        Map<String, Object> p = new HashMap<>();
        Set<String> adminNames = AdminClientConfig.configNames();
        extraProperties.forEach((k, v) -> {
            if (adminNames.contains(k) && !k.equals(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG)) {
                p.put(k, v);
            }
        });
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId + "-admin");
        return p;
    }

    /**
     * Masks the values of the properties file (all treated as secrets: SASL/TLS settings), then
     * any {@code password="…"} of a JAAS configuration in a text, e.g. a client's message that
     * quotes a fragment of it, and URL credentials.
     */
    UnaryOperator<String> scrubber() {
        UnaryOperator<String> values = Redaction.scrubber(extraProperties.values());
        return text -> Redaction.passwordOptions(values.apply(text));
    }

    @Override
    public String toString() {
        // Never the values of the properties file: they hold SASL/TLS secrets.
        return "KafkaSettings[bootstrapServers=" + bootstrapServers + ", clientId=" + clientId + ", compression="
                + compression + ", maxRequestSize=" + maxRequestSize + ", ackTimeout=" + ackTimeout + ", maxBlock="
                + maxBlock + ", extraProperties=" + extraProperties.keySet() + ", source=" + source + "]";
    }

    /** What is wrong with a bootstrap servers value (without the key), or {@code null}. */
    private static String bootstrapProblem(String servers) {
        for (String server : servers.split(",", -1)) {
            Matcher m = HOST_PORT.matcher(server.strip());
            if (!m.matches() || Integer.parseInt(m.group(2)) < 1 || Integer.parseInt(m.group(2)) > 65535) {
                return "must be comma-separated host:port pairs with ports 1-65535 (was \"" + servers + "\")";
            }
        }
        return null;
    }

    /** Reads the extra properties; messages name the file and the property, never a value. */
    private static Map<String, String> readProperties(String path, Naming naming) {
        String key = PROPERTIES_FILE.name(naming);
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of(path), StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException | RuntimeException e) {
            throw new OutboxException(key + " must name a readable properties file (was \"" + path
                    + "\": " + e.getClass().getSimpleName() + ")");
        }
        Set<String> known = new HashSet<>(ProducerConfig.configNames());
        known.addAll(AdminClientConfig.configNames());
        Map<String, String> values = new TreeMap<>();
        for (String name : properties.stringPropertyNames()) {
            String why = reserved(name, naming);
            if (why != null) {
                throw new OutboxException(key + " must not set " + name + ": " + why + " (in \"" + path + "\")");
            }
            if (!known.contains(name)) {
                throw new OutboxException(key + " may only hold Kafka producer or admin client properties"
                        + " (found unknown property " + name + " in \"" + path + "\")");
            }
            values.put(name, properties.getProperty(name).strip());
        }
        String inFlight = values.get(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION);
        if (inFlight != null && !inFlight.matches("[1-5]")) {
            throw new OutboxException(key + ": " + ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION
                    + " must be between 1 and 5, the most an idempotent producer keeps in order (in \"" + path + "\")");
        }
        for (String number : List.of(ProducerConfig.LINGER_MS_CONFIG, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG)) {
            if (values.containsKey(number) && !values.get(number).matches("\\d{1,9}")) {
                throw new OutboxException(key + ": " + number + " must be a whole number of milliseconds"
                        + " (in \"" + path + "\")");
            }
        }
        return values;
    }

    /**
     * Why the properties file may not set {@code property}, or {@code null} if it may: the
     * delivery guarantees rest on it (idempotence, acks, per-key partitioning, plain byte
     * records), or one of the settings above sets it.
     */
    private static String reserved(String property, Naming naming) {
        String guarantee = "the transport's delivery guarantees depend on it";
        return switch (property) {
            case ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG -> guarantee + " (always true)";
            case ProducerConfig.ACKS_CONFIG -> guarantee + " (always all)";
            case ProducerConfig.TRANSACTIONAL_ID_CONFIG ->
                    "the transport uses an idempotent, non-transactional producer";
            case ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG -> "keys are the aggregate id's UTF-8 bytes";
            case ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG -> "values are the payload's bytes, unchanged";
            case ProducerConfig.PARTITIONER_CLASS_CONFIG -> "per-key order needs the default partitioner (by key)";
            case ProducerConfig.PARTITIONER_IGNORE_KEYS_CONFIG -> "per-key order needs partitioning by key";
            case ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG -> "it follows " + ACK_TIMEOUT.name(naming);
            case ProducerConfig.BOOTSTRAP_SERVERS_CONFIG -> "use " + BOOTSTRAP_SERVERS.name(naming);
            case ProducerConfig.CLIENT_ID_CONFIG -> "use " + CLIENT_ID.name(naming);
            case ProducerConfig.COMPRESSION_TYPE_CONFIG -> "use " + COMPRESSION.name(naming);
            case ProducerConfig.MAX_REQUEST_SIZE_CONFIG -> "use " + MAX_REQUEST_SIZE.name(naming);
            case ProducerConfig.MAX_BLOCK_MS_CONFIG -> "use " + MAX_BLOCK.name(naming);
            default -> null;
        };
    }
}
