package dev.outbox.relay.transport.kafka;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.spi.TransportConfig;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.config.Redaction;
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
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The validated, immutable configuration of the {@code kafka} transport, read once by
 * {@link KafkaTransportFactory#create}. {@link #from} fails with an {@link OutboxException} naming
 * the key, the rule and the value; values of the extra properties file (SASL/TLS secrets) never
 * appear in messages or in {@link #toString()}.
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
 */
record KafkaSettings(String bootstrapServers, String clientId, String compression, int maxRequestSize,
                     Duration ackTimeout, Duration maxBlock, Map<String, String> extraProperties, Router router,
                     String source) {

    static final String BOOTSTRAP_SERVERS = "OUTBOX_KAFKA_BOOTSTRAP_SERVERS";
    static final String CLIENT_ID = "OUTBOX_KAFKA_CLIENT_ID";
    static final String COMPRESSION = "OUTBOX_KAFKA_COMPRESSION";
    static final String MAX_REQUEST_SIZE = "OUTBOX_KAFKA_MAX_REQUEST_SIZE";
    static final String ACK_TIMEOUT = "OUTBOX_KAFKA_ACK_TIMEOUT";
    static final String MAX_BLOCK = "OUTBOX_KAFKA_MAX_BLOCK";
    static final String PROPERTIES_FILE = "OUTBOX_KAFKA_PROPERTIES_FILE";
    static final String SOURCE = CloudEvent.SOURCE_KEY;

    static final String DEFAULT_CLIENT_ID = "outbox-relay";
    static final String DEFAULT_ROUTE = "${aggregatetype}";
    static final int DEFAULT_MAX_REQUEST_SIZE = 1_048_576;
    /** Below the relay's default send timeout (30 s), so that this transport, not the relay's interrupt, reports each event. */
    static final Duration DEFAULT_ACK_TIMEOUT = Duration.ofSeconds(25);
    static final Duration DEFAULT_MAX_BLOCK = Duration.ofSeconds(5);
    /** Every codec whose library kafka-clients brings along (gzip is in the JDK). */
    static final List<String> COMPRESSIONS = List.of("none", "gzip", "snappy", "lz4", "zstd");
    /**
     * The relay awaits every wave before sending the next, so lingering only adds latency: the
     * producer still batches the records that queue up while a request is in flight. Measured
     * here (one broker on 127.0.0.1): 1-event batches took 8-11 ms with Kafka's default of 5 ms,
     * 1.5-3 ms with 0; 500-event batches 11-18 ms either way.
     */
    static final int LINGER_MS = 0;

    static final Set<String> KEYS = Set.of(BOOTSTRAP_SERVERS, CLIENT_ID, COMPRESSION, MAX_REQUEST_SIZE, ACK_TIMEOUT,
            MAX_BLOCK, PROPERTIES_FILE, SOURCE, Router.ROUTES_KEY, Router.DEFAULT_KEY);

    private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9a-fA-F:.]+]|[A-Za-z0-9._-]+):(\\d{1,5})");
    private static final Pattern CLIENT_ID_CHARS = Pattern.compile("[A-Za-z0-9._-]{1,200}");
    /** A password option of a JAAS login module, quoted or not. */
    private static final Pattern JAAS_PASSWORD = Pattern.compile("(?i)(password\\s*=\\s*\"?)[^\"\\s;]*");

    /**
     * Properties the file may not set: the delivery guarantees rest on them (idempotence, acks,
     * per-key partitioning, plain byte records), or a dedicated key sets them. Name → why.
     */
    private static final Map<String, String> RESERVED = reserved();

    KafkaSettings {
        extraProperties = Collections.unmodifiableMap(new TreeMap<>(extraProperties));
    }

    static KafkaSettings from(TransportConfig config) {
        String bootstrap = config.get(BOOTSTRAP_SERVERS).orElseThrow(() -> new OutboxException(BOOTSTRAP_SERVERS
                + " is required: the Kafka brokers to connect to, as host:port[,host:port…]"));
        bootstrap = bootstrap.strip();
        for (String server : bootstrap.split(",", -1)) {
            var m = HOST_PORT.matcher(server.strip());
            if (!m.matches() || Integer.parseInt(m.group(2)) < 1 || Integer.parseInt(m.group(2)) > 65535) {
                throw new OutboxException(BOOTSTRAP_SERVERS + " must be comma-separated host:port pairs with ports"
                        + " 1-65535 (was \"" + bootstrap + "\")");
            }
        }
        String clientId = config.get(CLIENT_ID, DEFAULT_CLIENT_ID).strip();
        if (!CLIENT_ID_CHARS.matcher(clientId).matches()) {
            throw new OutboxException(CLIENT_ID + " must be 1-200 characters of A-Z, a-z, 0-9, '.', '_' and '-' (was \""
                    + config.get(CLIENT_ID, "") + "\")");
        }
        String compression = config.get(COMPRESSION, "none").strip().toLowerCase(Locale.ROOT);
        if (!COMPRESSIONS.contains(compression)) {
            throw new OutboxException(COMPRESSION + " must be one of " + String.join(", ", COMPRESSIONS)
                    + " (was \"" + config.get(COMPRESSION, "") + "\")");
        }
        int maxRequestSize = config.getInt(MAX_REQUEST_SIZE, DEFAULT_MAX_REQUEST_SIZE, 1024, Integer.MAX_VALUE);
        Duration ackTimeout = range(ACK_TIMEOUT, config.getDuration(ACK_TIMEOUT, DEFAULT_ACK_TIMEOUT),
                Duration.ofSeconds(1), Duration.ofMinutes(10));
        Duration maxBlock = range(MAX_BLOCK, config.getDuration(MAX_BLOCK, DEFAULT_MAX_BLOCK),
                Duration.ofMillis(100), Duration.ofMinutes(5));
        Map<String, String> extra = config.get(PROPERTIES_FILE).map(String::strip).filter(p -> !p.isEmpty())
                .map(KafkaSettings::readProperties).orElse(Map.of());
        Router router = Router.parse(config.get(Router.ROUTES_KEY).orElse(null),
                config.get(Router.DEFAULT_KEY, DEFAULT_ROUTE));
        String source = CloudEvent.source(config);
        return new KafkaSettings(bootstrap, clientId, compression, maxRequestSize, ackTimeout, maxBlock, extra, router,
                source);
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
     * Masks the values of the properties file (all treated as secrets: SASL/TLS settings) and any
     * {@code password="…"} of a JAAS configuration in a text, e.g. a client's message; then URL
     * credentials.
     */
    UnaryOperator<String> scrubber() {
        UnaryOperator<String> values = Redaction.scrubber(extraProperties.values());
        return text -> text == null ? null : values.apply(JAAS_PASSWORD.matcher(text).replaceAll("$1" + Redaction.MASK));
    }

    @Override
    public String toString() {
        // Never the values of the properties file: they hold SASL/TLS secrets.
        return "KafkaSettings[bootstrapServers=" + bootstrapServers + ", clientId=" + clientId + ", compression="
                + compression + ", maxRequestSize=" + maxRequestSize + ", ackTimeout=" + ackTimeout + ", maxBlock="
                + maxBlock + ", extraProperties=" + extraProperties.keySet() + ", source=" + source + "]";
    }

    private static Duration range(String key, Duration value, Duration min, Duration max) {
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new OutboxException(key + " must be between " + show(min) + " and " + show(max)
                    + " (was " + show(value) + ")");
        }
        return value;
    }

    /** Reads the extra properties; messages name the file and the property, never a value. */
    private static Map<String, String> readProperties(String path) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of(path), StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException | RuntimeException e) {
            throw new OutboxException(PROPERTIES_FILE + " must name a readable properties file (was \"" + path
                    + "\": " + e.getClass().getSimpleName() + ")");
        }
        Set<String> known = new HashSet<>(ProducerConfig.configNames());
        known.addAll(AdminClientConfig.configNames());
        Map<String, String> values = new TreeMap<>();
        for (String name : properties.stringPropertyNames()) {
            String why = RESERVED.get(name);
            if (why != null) {
                throw new OutboxException(PROPERTIES_FILE + " must not set " + name + ": " + why + " (in \"" + path
                        + "\")");
            }
            if (!known.contains(name)) {
                throw new OutboxException(PROPERTIES_FILE + " may only hold Kafka producer or admin client properties"
                        + " (found unknown property " + name + " in \"" + path + "\")");
            }
            values.put(name, properties.getProperty(name).strip());
        }
        String inFlight = values.get(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION);
        if (inFlight != null && !inFlight.matches("[1-5]")) {
            throw new OutboxException(PROPERTIES_FILE + ": " + ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION
                    + " must be between 1 and 5, the most an idempotent producer keeps in order (in \"" + path + "\")");
        }
        for (String number : List.of(ProducerConfig.LINGER_MS_CONFIG, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG)) {
            if (values.containsKey(number) && !values.get(number).matches("\\d{1,9}")) {
                throw new OutboxException(PROPERTIES_FILE + ": " + number + " must be a whole number of milliseconds"
                        + " (in \"" + path + "\")");
            }
        }
        return values;
    }

    private static Map<String, String> reserved() {
        String guarantee = "the transport's delivery guarantees depend on it";
        Map<String, String> r = new HashMap<>();
        r.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, guarantee + " (always true)");
        r.put(ProducerConfig.ACKS_CONFIG, guarantee + " (always all)");
        r.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "the transport uses an idempotent, non-transactional producer");
        r.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, "keys are the aggregate id's UTF-8 bytes");
        r.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, "values are the payload's bytes, unchanged");
        r.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, "per-key order needs the default partitioner (by key)");
        r.put(ProducerConfig.PARTITIONER_IGNORE_KEYS_CONFIG, "per-key order needs partitioning by key");
        r.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "it follows " + ACK_TIMEOUT);
        r.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "use " + BOOTSTRAP_SERVERS);
        r.put(ProducerConfig.CLIENT_ID_CONFIG, "use " + CLIENT_ID);
        r.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "use " + COMPRESSION);
        r.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, "use " + MAX_REQUEST_SIZE);
        r.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "use " + MAX_BLOCK);
        return Map.copyOf(r);
    }

    /** A duration as users write it. */
    private static String show(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
