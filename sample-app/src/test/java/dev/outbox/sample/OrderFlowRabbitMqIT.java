package dev.outbox.sample;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.outbox.relay.Relay;
import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.transport.rabbitmq.RabbitMqTransport;
import dev.outbox.sample.broker.RabbitMqTopology;
import java.time.Duration;
import javax.sql.DataSource;

/** {@link OrderFlowContract} over RabbitMQ ({@code OUTBOX_TEST_RABBITMQ_URI}); a random exchange and queues, deleted after. */
class OrderFlowRabbitMqIT extends OrderFlowContract {
    private final String uri = requireEnv("OUTBOX_TEST_RABBITMQ_URI", "amqp://guest:guest@127.0.0.1:5672");
    private final RabbitMqTopology topology = new RabbitMqTopology("sample-it-" + suffix, "sample-it-" + suffix);

    @Override
    SampleConfig config(String jdbcUrl) {
        return new SampleConfig(jdbcUrl, "127.0.0.1", 0, "rabbitmq", uri, topology.exchange(), null, null,
                topology.prefix(), false, fastRetries());
    }

    @Override
    Relay startRelay(DataSource dataSource) {
        Transport rabbitmq = RabbitMqTransport.builder().uri(uri).routeDefault(topology.exchange()).build();
        return Relay.builder(dataSource, rabbitmq)
                .config(RelayConfig.builder().maxPollInterval(Duration.ofMillis(50)).build()).build().start();
    }

    @Override
    long deadLettered(String consumer) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(uri);
        try (Connection c = factory.newConnection("sample-it-dlq"); Channel channel = c.createChannel()) {
            return channel.messageCount(topology.deadLetterQueue(consumer));
        }
    }

    @Override
    void deleteBrokerObjects() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(uri);
        try (Connection c = factory.newConnection("sample-it-cleanup"); Channel channel = c.createChannel()) {
            topology.delete(channel, SampleApp.CONSUMERS);
        }
    }
}
