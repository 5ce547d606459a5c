package dev.outbox.sample;

import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportConfig;
import dev.outbox.relay.transport.Router;
import dev.outbox.relay.transport.kafka.KafkaTransportFactory;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

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
    Transport transport() {
        return new KafkaTransportFactory().create(new TransportConfig(Map.of(
                "OUTBOX_KAFKA_BOOTSTRAP_SERVERS", bootstrap, Router.DEFAULT_KEY, topic)));
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
