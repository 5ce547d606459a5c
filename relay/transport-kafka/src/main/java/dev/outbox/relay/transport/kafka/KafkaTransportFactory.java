package dev.outbox.relay.transport.kafka;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportConfig;
import dev.outbox.relay.spi.TransportFactory;
import dev.outbox.relay.config.Redaction;
import java.time.Duration;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;

/**
 * The {@code kafka} transport ({@code OUTBOX_TRANSPORT=kafka}), found by
 * {@link java.util.ServiceLoader}; embedders may call {@link #create} directly. Keys:
 * <ul>
 *   <li>{@code OUTBOX_KAFKA_BOOTSTRAP_SERVERS} (required) {@code host:port[,host:port…]}</li>
 *   <li>{@code OUTBOX_KAFKA_CLIENT_ID} (default {@code outbox-relay}) the producer's {@code client.id}</li>
 *   <li>{@code OUTBOX_KAFKA_COMPRESSION} (default {@code none}) none, gzip, snappy, lz4 or zstd</li>
 *   <li>{@code OUTBOX_KAFKA_MAX_REQUEST_SIZE} (default 1048576) larger records fail permanently</li>
 *   <li>{@code OUTBOX_KAFKA_ACK_TIMEOUT} (default 25s) longest wait for a batch's acknowledgements;
 *       keep it below {@code OUTBOX_SEND_TIMEOUT} (default 30s)</li>
 *   <li>{@code OUTBOX_KAFKA_MAX_BLOCK} (default 5s) longest wait for a topic's metadata</li>
 *   <li>{@code OUTBOX_KAFKA_PROPERTIES_FILE} (optional) further producer/admin properties, e.g.
 *       {@code security.protocol}, {@code sasl.jaas.config}, {@code ssl.truststore.location};
 *       values are treated as secrets; it cannot change idempotence, acks, serializers or
 *       partitioning, nor what the keys above set</li>
 *   <li>{@code OUTBOX_ROUTES}, {@code OUTBOX_ROUTE_DEFAULT} (default {@code ${aggregatetype}}; empty
 *       for none) event → topic; {@code OUTBOX_CLOUDEVENTS_SOURCE} (default {@code /outbox})</li>
 * </ul>
 * Creating the transport does not connect: a broker that is down at start-up is retried like
 * any outage.
 */
public final class KafkaTransportFactory implements TransportFactory {

    /** Called by the service loader. */
    public KafkaTransportFactory() {
        super();
    }

    @Override
    public String name() {
        return "kafka";
    }

    @Override
    public Set<String> configKeys() {
        return KafkaSettings.KEYS;
    }

    /**
     * @throws OutboxException naming the key, the rule and the value if the configuration is
     *         invalid, or if the Kafka client rejects it (values of the properties file are
     *         replaced by {@code ****} in the message)
     */
    @Override
    public Transport create(TransportConfig config) {
        KafkaSettings settings = KafkaSettings.from(config);
        Producer<byte[], byte[]> producer;
        try {
            producer = new KafkaProducer<>(settings.producerProperties());
        } catch (KafkaException e) {
            throw new OutboxException("the Kafka producer rejects its configuration (" + KafkaSettings.BOOTSTRAP_SERVERS
                    + ", " + KafkaSettings.PROPERTIES_FILE + "): " + redact(settings, e),
                    Redaction.copy(e, settings.scrubber()));
        }
        try {
            return new KafkaTransport(settings, producer, Admin.create(settings.adminProperties()));
        } catch (KafkaException e) {
            producer.close(Duration.ZERO);
            throw new OutboxException("the Kafka admin client rejects its configuration ("
                    + KafkaSettings.PROPERTIES_FILE + "): " + redact(settings, e), Redaction.copy(e, settings.scrubber()));
        }
    }

    /** The exception's messages (with causes') without any value of the properties file. */
    private static String redact(KafkaSettings settings, Throwable e) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null && text.length() < 2000; t = t.getCause()) {
            text.append(text.length() == 0 ? "" : ": ").append(t.getMessage());
        }
        return settings.scrubber().apply(text.toString());
    }
}
