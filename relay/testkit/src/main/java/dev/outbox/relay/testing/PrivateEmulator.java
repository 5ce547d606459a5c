package dev.outbox.relay.testing;

import static dev.outbox.testing.Await.await;

import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * An emulator of a cloud broker that belongs to one test: started on a free 127.0.0.1 port with
 * a work directory of its own, killed with SIGKILL ({@link #kill()}) and started again on the
 * same port ({@link #restart()}), for tests of a broker that dies mid-drain. The shared
 * emulators of {@code .ci/emulators.sh} (5000, 8085) are never touched: only this process and
 * its descendants are signalled.
 *
 * <ul>
 *   <li>{@link #moto()}: {@code moto_server -H 127.0.0.1 -p PORT} (EventBridge, SQS) with moto's
 *       recorder on: every request moto receives is appended to a file in the work directory
 *       before moto handles it, and survives the kill; {@link #replayRecordingWithout} feeds it
 *       to the restarted moto, which is moto's only way to get state across a restart.</li>
 *   <li>{@link #pubSub(String)}: {@code gcloud beta emulators pubsub start
 *       --host-port=127.0.0.1:PORT --project=… --data-dir=<work>}. The data directory only gets
 *       the emulator's {@code env.yaml} (Google: "resources created and messages published to the
 *       emulator are maintained for the lifetime of the emulator session"; checked here with a
 *       topic that was gone after a restart); a private one keeps the shared emulator's
 *       {@code env.yaml} in the user's gcloud directory as it is. gcloud runs the emulator as a
 *       java child that outlives gcloud when only gcloud is killed, so {@link #kill()} kills the
 *       children it found before their parent.</li>
 * </ul>
 * Start-up fails (never skips) with a message saying what to install when the command is
 * missing. {@link #close()} kills it and deletes its work directory.
 */
public final class PrivateEmulator implements AutoCloseable {
    private static final Duration START = Duration.ofSeconds(90);
    private static final Duration STOP = Duration.ofSeconds(20);
    /** Where each entry of moto's recording begins: it writes one JSON object per request, keys in this order. */
    private static final Pattern ENTRY = Pattern.compile("(?=\\{\"headers\": \\{)");

    private final String name;
    private final List<String> command;
    private final Map<String, String> environment;
    private final Path work;
    private final int port;
    private final Path recording;
    private Process process;
    private int starts;

    private PrivateEmulator(String name, List<String> command, Map<String, String> environment, Path work, int port,
                            Path recording) {
        this.name = name;
        this.command = command;
        this.environment = environment;
        this.work = work;
        this.port = port;
        this.recording = recording;
        // A test JVM that ends without close() (a failed @BeforeEach, a fork killed at its timeout
        // with SIGTERM) must not leave an emulator running on the machine.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                kill();
            } catch (RuntimeException | AssertionError ignored) {
                // exiting anyway
            }
        }, "private-emulator-kill"));
    }

    /** A private moto, recording every request it receives; running when this returns. */
    public static PrivateEmulator moto() {
        Path work = workDirectory("moto");
        int port = freePort();
        Path recording = work.resolve("recording.jsonl");
        return new PrivateEmulator("moto", List.of("moto_server", "-H", "127.0.0.1", "-p", Integer.toString(port)),
                Map.of("MOTO_ENABLE_RECORDING", "true", "MOTO_RECORDER_FILEPATH", recording.toString()), work, port,
                recording).startOrFail("moto_server is not installed: pip install 'moto[server]'");
    }

    /** A private Pub/Sub emulator for {@code project}; running when this returns. */
    public static PrivateEmulator pubSub(String project) {
        Path work = workDirectory("pubsub");
        int port = freePort();
        return new PrivateEmulator("Pub/Sub emulator", List.of("gcloud", "beta", "emulators", "pubsub", "start",
                "--host-port=127.0.0.1:" + port, "--project=" + project, "--data-dir=" + work, "--quiet"), Map.of(),
                work, port, null).startOrFail("gcloud with the pubsub-emulator component is not installed"
                + " (gcloud components install pubsub-emulator beta, or the google-cloud-cli-pubsub-emulator package)");
    }

    public int port() {
        return port;
    }

    /** {@code 127.0.0.1:port}. */
    public String address() {
        return "127.0.0.1:" + port;
    }

    /** {@code http://127.0.0.1:port}. */
    public URI url() {
        return URI.create("http://" + address());
    }

    /**
     * SIGKILL to the emulator and every process it started (no shutdown of any kind, as in a
     * crash); returns once they are gone and nothing listens on the port any more.
     */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        ProcessHandle root = process.toHandle();
        // Listed before any is killed: once gcloud (or pyenv's shim) is gone, its java (or python)
        // child is nobody's descendant any more and would live on.
        List<ProcessHandle> victims = new ArrayList<>(root.descendants().toList());
        victims.add(root);
        victims.forEach(ProcessHandle::destroyForcibly);
        await(name + " (pid " + root.pid() + " and children) gone", STOP,
                () -> victims.stream().noneMatch(ProcessHandle::isAlive));
        await("nothing listening on " + address() + " after the kill", STOP, () -> !listening(port));
        process = null;
    }

    /** Starts it again on the same port (after {@link #kill()}); running when this returns. Its state is whatever the emulator keeps. */
    public synchronized void restart() {
        if (process != null) {
            throw new IllegalStateException(name + " on " + address() + " is still running: kill() it first");
        }
        startOrFail(null);
    }

    /**
     * moto only: gives the restarted moto every request the recording holds (the earlier runs'),
     * except those whose action ({@code X-Amz-Target} without its service prefix, such as
     * {@code ReceiveMessage}) is in {@code skipped}, and replays them in the order moto received
     * them. An entry that is not a whole JSON object was cut off by the kill while moto was
     * writing it, before moto handled that request, and is left out. Returns how many requests
     * were replayed.
     */
    public int replayRecordingWithout(Set<String> skipped) {
        if (recording == null) {
            throw new IllegalStateException(name + " keeps no recording");
        }
        StringBuilder kept = new StringBuilder();
        int count = 0;
        try {
            String text = Files.exists(recording) ? Files.readString(recording, StandardCharsets.UTF_8) : "";
            for (String entry : ENTRY.split(text)) {
                String json = entry.strip();
                JsonObject request = parse(json);
                if (request == null || skipped.contains(action(request))) {
                    continue;
                }
                kept.append(json).append('\n');
                count++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        post("/moto-api/recorder/upload-recording", kept.toString());
        post("/moto-api/recorder/replay-recording", "");
        return count;
    }

    /** Kills it (if running) and deletes its work directory. */
    @Override
    public void close() {
        try {
            kill();
        } finally {
            try (Stream<Path> files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a temporary directory: best effort
            }
        }
    }

    @Override
    public String toString() {
        return name + " on " + address() + " (log " + log() + ")";
    }

    private PrivateEmulator startOrFail(String missing) {
        await("port " + port + " free for " + name, STOP, () -> !listening(port));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
        builder.environment().putAll(environment);
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new AssertionError(missing == null ? "cannot start " + name + " again: " + e.getMessage()
                    : missing + " (" + e.getMessage() + ")", e);
        }
        starts++;
        Process started = process;
        try {
            await(this + " listening (start " + starts + ")", START, () -> {
                if (!started.isAlive()) {
                    throw new AssertionError(name + " exited with " + started.exitValue() + ": " + tail());
                }
                return listening(port);
            });
        } catch (AssertionError e) {
            kill();
            throw new AssertionError(e.getMessage() + "; log: " + tail(), e);
        }
        return this;
    }

    private Path log() {
        return work.resolve("emulator.log");
    }

    private String tail() {
        try {
            String text = Files.readString(log(), StandardCharsets.UTF_8);
            return text.substring(Math.max(0, text.length() - 2_000));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private void post(String path, String body) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(url().resolve(path)).timeout(Duration.ofMinutes(2))
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new AssertionError(name + " answered " + response.statusCode() + " to " + path + ": "
                        + response.body() + "; log: " + tail());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(name + " did not answer " + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted during " + path, e);
        }
    }

    private static JsonObject parse(String json) {
        if (json.isEmpty()) {
            return null;
        }
        try (JsonReader reader = Json.createReader(new StringReader(json))) {
            return reader.readObject();
        } catch (JsonException | IllegalStateException e) {
            return null; // cut off by the kill
        }
    }

    /** {@code ReceiveMessage} of {@code AmazonSQS.ReceiveMessage}; empty for a request without a target. */
    private static String action(JsonObject request) {
        JsonObject headers = request.getJsonObject("headers");
        String target = headers == null ? null : headers.getString("X-Amz-Target", null);
        return target == null ? "" : target.substring(target.indexOf('.') + 1);
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path workDirectory(String what) {
        try {
            return Files.createTempDirectory("outbox-private-" + what.replace('/', '-'));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
