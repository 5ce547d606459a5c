package dev.outbox.relay.transport.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.testing.TestDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A Kafka broker of this test alone, started with the project's {@code .ci/kafka.sh} on free ports
 * and its own work directory, so that it can be stopped with SIGSTOP ({@link #stall}) without
 * touching the shared broker. {@link #close} stops it and deletes its data.
 */
final class PrivateKafka {
    private final Path work;
    private final int port;
    private final int controllerPort;

    private PrivateKafka(Path work, int port, int controllerPort) {
        this.work = work;
        this.port = port;
        this.controllerPort = controllerPort;
    }

    static PrivateKafka start() throws Exception {
        PrivateKafka kafka = new PrivateKafka(Files.createTempDirectory("outbox-private-kafka"), freePort(), freePort());
        kafka.script("start");
        return kafka;
    }

    String bootstrap() {
        return "127.0.0.1:" + port;
    }

    /** SIGSTOP: the broker keeps its sockets but answers nothing. */
    void stall() throws Exception {
        signal("-STOP");
    }

    /** SIGCONT: the broker goes on where it stopped. */
    void resume() throws Exception {
        signal("-CONT");
    }

    private void signal(String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", signal, pid()).redirectErrorStream(true).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).as("kill %s %s", signal, pid()).isZero();
    }

    String pid() {
        try {
            return Files.readString(work.resolve("kafka.pid")).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("no pid file in " + work + ": did the broker start?", e);
        }
    }

    /** Stops the broker and deletes its data. */
    void close() throws Exception {
        try {
            resume(); // a stopped process ignores SIGTERM until it continues
        } catch (Throwable ignored) {
            // not running
        }
        script("clean");
    }

    private void script(String action) throws Exception {
        Path script = TestDatabase.sqlDirectory().toAbsolutePath().getParent().resolve(".ci/kafka.sh");
        Path log = Files.createTempFile("private-kafka-" + action, ".log");
        ProcessBuilder builder = new ProcessBuilder("bash", script.toString(), action).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("KAFKA_WORK_DIR", work.toString());
        builder.environment().put("KAFKA_PORT", Integer.toString(port));
        builder.environment().put("KAFKA_CONTROLLER_PORT", Integer.toString(controllerPort));
        builder.environment().put("KAFKA_HEAP_OPTS", "-Xmx384m");
        Process p = builder.start();
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("kafka.sh %s finished within 180 s", action).isTrue();
        assertThat(p.exitValue()).as("kafka.sh %s: %s", action, Files.readString(log)).isZero();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
