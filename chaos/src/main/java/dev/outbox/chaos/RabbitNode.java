package dev.outbox.chaos;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A second RabbitMQ node of the suite's own, beside the machine's: its own node name, ports,
 * data (mnesia) and log directories, and no plugins (so no management port clashes). The
 * rabbitmq-server script, started by root, drops to the rabbitmq OS user, so its directories belong to that user.
 * Its Erlang VM's pid comes from RABBITMQ_PID_FILE: kill -9 of that pid is the crash.
 *
 * <p>The reader is live (RabbitMQ keeps no arrival time): a consumer with manual acks on a durable
 * queue bound to the route's exchange, recovering automatically after a crash. Its own
 * redeliveries (a message it received but whose ack the crash lost, flagged redelivered) are
 * not counted again, so the duplicates counted are the relay's.
 */
final class RabbitNode implements Broker {
    private static final String NODE = "outbox-chaos@localhost";
    private final Lab lab;
    private final int port;
    private final int distPort;
    private final Path dir;
    private final Map<String, String> env;
    private Proc proc;

    private RabbitNode(Lab lab, int port, int distPort, Path dir) {
        this.lab = lab;
        this.port = port;
        this.distPort = distPort;
        this.dir = dir;
        Map<String, String> e = new HashMap<>();
        e.put("RABBITMQ_NODENAME", NODE);
        e.put("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1");
        e.put("RABBITMQ_NODE_PORT", String.valueOf(port));
        e.put("RABBITMQ_DIST_PORT", String.valueOf(distPort));
        e.put("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString());
        e.put("RABBITMQ_LOG_BASE", dir.resolve("log").toString());
        e.put("RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString());
        e.put("RABBITMQ_PID_FILE", dir.resolve("beam.pid").toString());
        // Not the machine's /etc/rabbitmq/rabbitmq.conf (it may set ports or plugins of the main node).
        e.put("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq").toString());
        this.env = Map.copyOf(e);
    }

    static RabbitNode start(Lab lab, int port, int distPort) {
        Path dir = lab.work.resolve("rabbitmq");
        try {
            Files.createDirectories(dir.resolve("mnesia"));
            Files.createDirectories(dir.resolve("log"));
            Files.writeString(dir.resolve("enabled_plugins"), "[].\n");
            if ("root".equals(System.getProperty("user.name"))) {
                // rabbitmq-server started by root drops to the rabbitmq user, which must own its directories.
                Proc.run(lab, java.time.Duration.ofSeconds(10), Map.of(), "chown", "-R", "rabbitmq:rabbitmq", dir.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        RabbitNode node = new RabbitNode(lab, port, distPort, dir);
        node.launch();
        return node;
    }

    private void launch() {
        Lab.requireFree("RabbitMQ node", port);
        Lab.requireFree("RabbitMQ node (distribution port)", distPort);
        proc = Proc.start(lab, "rabbitmq", List.of("rabbitmq-server"), env, "rabbitmq-server");
        // The port may answer before the node is ready (it refused AMQP connections for a few
        // seconds once), so ready means: an AMQP connection succeeds.
        Await.until("RabbitMQ node " + NODE + " accepting AMQP connections on 127.0.0.1:" + port + " (log: "
                + dir.resolve("log") + ")", 120_000, () -> {
                    try {
                        connect().close();
                        return true;
                    } catch (Exception e) {
                        return false;
                    }
                });
        Proc.record(lab, "rabbitmq-beam", beamPid(), NODE);
    }

    private long beamPid() {
        try {
            return Long.parseLong(Files.readString(dir.resolve("beam.pid")).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String name() {
        return "rabbitmq";
    }

    @Override
    public int port() {
        return port;
    }

    private String uri(int via) {
        return "amqp://guest:guest@127.0.0.1:" + via;
    }

    @Override
    public Map<String, String> relayEnv(String route, int via) {
        return Map.of("OUTBOX_TRANSPORT", "rabbitmq", "OUTBOX_RABBITMQ_URI", uri(via), "OUTBOX_ROUTE_DEFAULT", route);
    }

    private Connection connect() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(uri(port));
        factory.setAutomaticRecoveryEnabled(true);
        factory.setNetworkRecoveryInterval(200);
        return factory.newConnection("outbox-chaos-reader");
    }

    @Override
    public void prepare(String route) throws Exception {
        try (Connection c = connect(); Channel ch = c.createChannel()) {
            ch.exchangeDeclare(route, "topic", true);
            ch.queueDeclare(route, true, false, false, null);
            ch.queueBind(route, route, "#");
        }
    }

    @Override
    public Reader reader(String route) throws Exception {
        Connection connection = connect();
        Channel channel = connection.createChannel();
        channel.basicQos(2000);
        List<Delivery> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        channel.basicConsume(route, false, new DefaultConsumer(channel) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
                    throws IOException {
                Delivery d = Delivery.of(new String(body, StandardCharsets.UTF_8), System.currentTimeMillis());
                synchronized (out) {
                    if (!(envelope.isRedeliver() && seen.contains(d.key() + "/" + d.n()))) {
                        out.add(d);
                        seen.add(d.key() + "/" + d.n());
                    }
                }
                getChannel().basicAck(envelope.getDeliveryTag(), false);
            }
        });
        return new Reader() {
            @Override
            public List<Delivery> readAll(int published) {
                Await.until(published + " distinct messages on queue " + route, 120_000, () -> {
                    synchronized (out) {
                        return seen.size() >= published;
                    }
                });
                synchronized (out) {
                    return List.copyOf(out);
                }
            }

            @Override
            public void close() throws IOException {
                connection.close();
            }
        };
    }

    @Override
    public void crash() {
        ProcessHandle.of(beamPid()).ifPresent(p -> {
            p.destroyForcibly();
            p.onExit().join();
        });
        proc.waitFor(java.time.Duration.ofSeconds(30));
    }

    @Override
    public void restart() {
        launch();
    }

    @Override
    public void close() {
        ProcessHandle.of(beamPid()).ifPresent(p -> {
            p.destroy();
            p.onExit().orTimeout(30, java.util.concurrent.TimeUnit.SECONDS).join();
        });
        proc.close();
    }

    @Override
    public String toString() {
        return "RabbitMQ node " + NODE + " on 127.0.0.1:" + port;
    }
}
