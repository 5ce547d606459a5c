package dev.outbox.sample;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.core.Outbox;
import dev.outbox.sample.broker.KafkaListener;
import dev.outbox.sample.broker.KafkaTopics;
import dev.outbox.sample.broker.RabbitMqListener;
import dev.outbox.sample.broker.RabbitMqTopology;
import dev.outbox.sample.consumers.EventHandler;
import dev.outbox.sample.consumers.InboxConsumer;
import dev.outbox.sample.consumers.Inventory;
import dev.outbox.sample.consumers.Notifications;
import dev.outbox.sample.consumers.Trace;
import dev.outbox.sample.demo.OrderClient;
import dev.outbox.sample.orders.OrderApi;
import dev.outbox.sample.orders.OrderService;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.jdbi.v3.core.Jdbi;

/**
 * The order service and its two consumers in one process (one JVM keeps the demo simple; each
 * consumer has its own transactions, inbox name and queue, so they could as well run apart).
 * {@link #main} is what {@code scripts/demo} runs; tests call {@link #builder}.
 *
 * <p>Start-up fails with a clear message if the database or the broker cannot be reached or the
 * outbox schema is missing; {@link #close()} stops the consumers, then the API, then the pool.
 */
public final class SampleApp implements AutoCloseable {
    public static final List<String> CONSUMERS = List.of("inventory", "notifications");

    private final List<AutoCloseable> resources = new ArrayList<>(); // closed in reverse order
    private OrderApi api;

    private SampleApp() {
    }

    public static void main(String[] args) throws Exception {
        SampleConfig config = SampleConfig.fromEnvironment();
        CountDownLatch stopped = new CountDownLatch(1);
        SampleApp app = builder(config).trace(new Trace(System.out)).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            stopped.countDown();
        }));
        System.out.println("order service on http://" + config.httpHost() + ":" + app.port() + ", consumers "
                + CONSUMERS + " on " + config.broker());
        stopped.await();
    }

    public static Builder builder(SampleConfig config) {
        return new Builder(config);
    }

    /** The HTTP API's port. */
    public int port() {
        return api.port();
    }

    @Override
    public void close() {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                System.getLogger(SampleApp.class.getName()).log(System.Logger.Level.WARNING, "closing " + resources.get(i), e);
            }
        }
        resources.clear();
    }

    /** Starts a {@link SampleApp}; tests replace a consumer's handler (e.g. one that crashes). */
    public static final class Builder {
        private final SampleConfig config;
        private Trace trace = Trace.silent();
        private EventHandler inventory = new Inventory();
        private EventHandler notifications;

        private Builder(SampleConfig config) {
            this.config = config;
        }

        public Builder trace(Trace trace) {
            this.trace = trace;
            return this;
        }

        public Builder inventory(EventHandler handler) {
            this.inventory = handler;
            return this;
        }

        public Builder notifications(EventHandler handler) {
            this.notifications = handler;
            return this;
        }

        public SampleApp start() throws Exception {
            SampleApp app = new SampleApp();
            try {
                HikariConfig pool = new HikariConfig();
                pool.setJdbcUrl(config.jdbcUrl());
                pool.setMaximumPoolSize(10);
                pool.setPoolName("sample");
                HikariDataSource dataSource = new HikariDataSource(pool);
                app.resources.add(dataSource);
                Jdbi jdbi = Jdbi.create(dataSource);
                SampleSchema.apply(jdbi);

                app.api = OrderApi.start(new OrderService(jdbi, Outbox.create()), config.httpHost(), config.httpPort());
                app.resources.add(app.api);

                // OrderCancelled is thin: notifications asks the order service for the address.
                OrderClient orders = new OrderClient(URI.create("http://" + config.httpHost() + ":" + app.api.port()));
                EventHandler mails = notifications != null ? notifications : new Notifications(orders::email);
                List<InboxConsumer> consumers = List.of(
                        new InboxConsumer("inventory", jdbi, inventory, trace),
                        new InboxConsumer("notifications", jdbi, mails, trace));
                if (config.broker().equals("rabbitmq")) {
                    startRabbitMq(app, consumers);
                } else {
                    startKafka(app, consumers);
                }
                return app;
            } catch (Exception e) {
                app.close();
                throw e;
            }
        }

        private void startRabbitMq(SampleApp app, List<InboxConsumer> consumers) throws Exception {
            ConnectionFactory factory = new ConnectionFactory();
            factory.setUri(config.rabbitMqUri());
            Connection connection;
            try {
                connection = factory.newConnection("sample-app");
            } catch (java.io.IOException e) {
                throw new IllegalStateException("RabbitMQ is not reachable at " + factory.getHost() + ":" + factory.getPort()
                        + " (start it, e.g. rabbitmq-server -detached): " + e, e);
            }
            app.resources.add(connection);
            RabbitMqTopology topology = new RabbitMqTopology(config.exchange(), config.namePrefix());
            try (Channel channel = connection.createChannel()) {
                topology.declare(channel, CONSUMERS);
                if (config.fresh()) {
                    for (String consumer : CONSUMERS) {
                        channel.queuePurge(topology.queue(consumer));
                        channel.queuePurge(topology.deadLetterQueue(consumer));
                    }
                }
            }
            for (InboxConsumer consumer : consumers) {
                app.resources.add(RabbitMqListener.start(connection, topology.queue(consumer.name()), consumer,
                        config.retries(), trace));
            }
        }

        private void startKafka(SampleApp app, List<InboxConsumer> consumers) throws InterruptedException {
            KafkaTopics.ensure(config.kafkaBootstrap(), config.kafkaTopic());
            for (InboxConsumer consumer : consumers) {
                app.resources.add(KafkaListener.start(config.kafkaBootstrap(), config.kafkaTopic(),
                        config.namePrefix() + "." + consumer.name(), consumer, config.retries(), trace));
            }
        }
    }
}
