package dev.outbox.sample.broker;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates the topics the relay writes to and the dead-letter topic ({@code <topic>.dlq}), when
 * missing: the relay's kafka transport does not create topics. Called by {@code SampleApp} in
 * Kafka mode; fails with the broker's error if it cannot.
 */
public final class KafkaTopics {
    private KafkaTopics() {
    }

    /** Ensures {@code topic} and {@code topic.dlq} exist (3 partitions, replication 1: a local broker). */
    public static void ensure(String bootstrap, String topic) throws InterruptedException {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            for (String name : List.of(topic, topic + ".dlq")) {
                try {
                    admin.createTopics(List.of(new NewTopic(name, 3, (short) 1))).all().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create Kafka topic " + name + " on " + bootstrap + ": " + e.getCause(), e);
                    }
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new IllegalStateException("Kafka at " + bootstrap + " did not answer within 30 s (is it running?)", e);
                }
            }
        }
    }
}
