package dev.outbox.chaos;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A private nats-server with JetStream (file storage under the work directory). The stream has a
 * 2-minute duplicate window, as the README advises, so a re-send after a crash is stored once.
 * Read with an ephemeral pull consumer; the message's stored timestamp is the arrival time.
 */
final class NatsServer extends ServerProcess {
    private NatsServer(Lab lab, int port) {
        super(lab, "nats", port);
    }

    static NatsServer start(Lab lab, int port) {
        NatsServer server = new NatsServer(lab, port);
        server.launch();
        return server;
    }

    @Override
    List<String> command() {
        return List.of("nats-server", "-a", "127.0.0.1", "-p", String.valueOf(port), "-js", "-sd", dir.toString());
    }

    @Override
    String marker() {
        return dir.toString();
    }

    private String url() {
        return "nats://127.0.0.1:" + port;
    }

    @Override
    public Map<String, String> relayEnv(String route, int via) {
        return Map.of("OUTBOX_TRANSPORT", "nats", "OUTBOX_NATS_URL", "nats://127.0.0.1:" + via,
                "OUTBOX_ROUTE_DEFAULT", route);
    }

    @Override
    public void prepare(String route) throws Exception {
        Connection nc = Nats.connect(url());
        try {
            JetStreamManagement jsm = nc.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name(route).subjects(route).storageType(StorageType.File)
                    .duplicateWindow(Duration.ofMinutes(2)).build());
        } finally {
            nc.close();
        }
    }

    @Override
    public Reader reader(String route) {
        return published -> {
            List<Delivery> out = new ArrayList<>();
            Connection nc = Nats.connect(url());
            try {
                long total = nc.jetStreamManagement().getStreamInfo(route).getStreamState().getMsgCount();
                JetStream js = nc.jetStream();
                ConsumerConfiguration cc = ConsumerConfiguration.builder().ackPolicy(AckPolicy.None)
                        .deliverPolicy(DeliverPolicy.All).build();
                JetStreamSubscription sub = js.subscribe(route, PullSubscribeOptions.builder().configuration(cc).build());
                long deadline = System.currentTimeMillis() + 120_000;
                while (out.size() < total && System.currentTimeMillis() < deadline) {
                    for (Message m : sub.fetch(1000, Duration.ofSeconds(2))) {
                        out.add(Delivery.of(new String(m.getData(), java.nio.charset.StandardCharsets.UTF_8),
                                m.metaData().timestamp().toInstant().toEpochMilli()));
                    }
                }
                if (out.size() < total) {
                    throw new IllegalStateException("read " + out.size() + " of the " + total + " messages of stream " + route);
                }
                return out;
            } finally {
                nc.close();
            }
        };
    }

    @Override
    public String toString() {
        return "nats-server on 127.0.0.1:" + port;
    }
}
