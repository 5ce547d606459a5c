package dev.outbox.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A private single-node Kafka broker, started and stopped by the project's own {@code .ci/kafka.sh}
 * with its own work directory and ports. Topics get {@code message.timestamp.type=LogAppendTime},
 * so a record's timestamp is when the broker stored it. Read with a plain consumer from the
 * beginning; a key's records are in one partition, in offset order.
 */
final class KafkaBroker implements Broker {
    private final Lab lab;
    private final int port;
    private final Map<String, String> env;
    private final Path work;

    private KafkaBroker(Lab lab, int port, int controllerPort) {
        this.lab = lab;
        this.port = port;
        this.work = lab.work.resolve("kafka");
        this.env = Map.of("KAFKA_WORK_DIR", work.toString(), "KAFKA_PORT", String.valueOf(port),
                "KAFKA_CONTROLLER_PORT", String.valueOf(controllerPort));
    }

    static KafkaBroker start(Lab lab, int port, int controllerPort) {
        KafkaBroker kafka = new KafkaBroker(lab, port, controllerPort);
        kafka.launch();
        return kafka;
    }

    private void launch() {
        Proc.run(lab, Duration.ofSeconds(180), env, "bash", ".ci/kafka.sh", "start");
        Proc.record(lab, "kafka", pid(), work.toString());
    }

    private long pid() {
        try {
            return Long.parseLong(Files.readString(work.resolve("kafka.pid"), StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String name() {
        return "kafka";
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public Map<String, String> relayEnv(String route, int via) {
        return Map.of("OUTBOX_TRANSPORT", "kafka", "OUTBOX_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:" + via,
                "OUTBOX_ROUTE_DEFAULT", route);
    }

    private String bootstrap() {
        return "127.0.0.1:" + port;
    }

    @Override
    public void prepare(String route) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap()))) {
            admin.createTopics(List.of(new NewTopic(route, 3, (short) 1)
                    .configs(Map.of("message.timestamp.type", "LogAppendTime")))).all().get();
        }
    }

    @Override
    public Reader reader(String route) {
        return published -> {
            Properties props = new Properties();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                    new StringDeserializer())) {
                List<TopicPartition> partitions = new ArrayList<>();
                for (PartitionInfo p : consumer.partitionsFor(route)) {
                    partitions.add(new TopicPartition(route, p.partition()));
                }
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
                List<Delivery> out = new ArrayList<>();
                long deadline = System.currentTimeMillis() + 120_000;
                while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                    if (System.currentTimeMillis() > deadline) {
                        throw new IllegalStateException("could not read topic " + route + " to its end offsets " + end);
                    }
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                        out.add(Delivery.of(r.value(), r.timestamp()));
                    }
                }
                return out;
            }
        };
    }

    @Override
    public void crash() {
        ProcessHandle.of(pid()).ifPresent(p -> {
            p.destroyForcibly();
            p.onExit().join();
        });
    }

    @Override
    public void restart() {
        launch();
    }

    @Override
    public void close() {
        Proc.run(lab, Duration.ofSeconds(60), env, "bash", ".ci/kafka.sh", "stop");
    }

    @Override
    public String toString() {
        return "Kafka on 127.0.0.1:" + port;
    }
}
