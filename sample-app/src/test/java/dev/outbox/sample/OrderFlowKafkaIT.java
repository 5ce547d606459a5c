package dev.outbox.sample;

import dev.outbox.relay.Relay;
import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.transport.kafka.KafkaTransport;
import dev.outbox.sample.broker.KafkaListener;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** {@link OrderFlowContract} over Kafka ({@code OUTBOX_TEST_KAFKA_BOOTSTRAP}); random topics and groups, deleted after. */
class OrderFlowKafkaIT extends OrderFlowContract {
    private final String bootstrap = requireEnv("OUTBOX_TEST_KAFKA_BOOTSTRAP", "127.0.0.1:9092");
    private final String topic = "Order-it-" + suffix;
    private final String prefix = "sample-it-" + suffix;

    @Override
    SampleConfig config(String jdbcUrl) {
        return new SampleConfig(jdbcUrl, "127.0.0.1", 0, "kafka", null, null, bootstrap, topic, prefix, false, fastRetries());
    }

    @Override
    Relay startRelay(DataSource dataSource) {
        // tag::embedKafka[]
        Transport kafka = KafkaTransport.builder()      // outbox-transport-kafka
                .bootstrapServers(bootstrap)            // host:port[,host:port…]
                .routeDefault(topic)                    // every event to this topic, keyed by aggregate id
                .build();
        return Relay.builder(dataSource, kafka)         // outbox-relay; dataSource as role outbox_relay
                .config(RelayConfig.builder().maxPollInterval(Duration.ofMillis(50)).build())
                .build()
                .start();                               // close() it when the application stops
        // end::embedKafka[]
    }

    /** Records in {@code <topic>.dlq} copied by {@code consumer}'s group (the listener keeps the original headers). */
    @Override
    long deadLettered(String consumer) throws Exception {
        try (KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(Map.of(
                     ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                     ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                     ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName()))) {
            List<TopicPartition> partitions = reader.partitionsFor(topic + ".dlq").stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            reader.assign(partitions);
            reader.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = reader.endOffsets(partitions);
            long count = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (partitions.stream().anyMatch(tp -> reader.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (var record : reader.poll(Duration.ofMillis(200))) {
                    var header = record.headers().lastHeader(KafkaListener.CONSUMER_HEADER);
                    if (header == null || new String(header.value(), StandardCharsets.UTF_8).equals(consumer)) {
                        count++;
                    }
                }
            }
            return count;
        }
    }

    @Override
    void deleteBrokerObjects() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.deleteTopics(List.of(topic, topic + ".dlq")).all().get(30, TimeUnit.SECONDS);
            admin.deleteConsumerGroups(SampleApp.CONSUMERS.stream().map(c -> prefix + "." + c).toList())
                    .all().get(30, TimeUnit.SECONDS);
        }
    }
}
