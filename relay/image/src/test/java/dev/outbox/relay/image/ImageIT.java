package dev.outbox.relay.image;

import static dev.outbox.testing.Await.await;
import static dev.outbox.testing.Await.awaitValue;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.config.ConfigReader;
import dev.outbox.relay.sidecar.SidecarConfig;
import dev.outbox.testing.TestDatabase;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The image {@code mvn -Pimage package} wrote ({@code target/jib-image.tar}), checked without a
 * container engine: its config (the README's entrypoint and command, a numeric non-root user,
 * labels, the sidecar's port, no secrets), its layers (exactly the distribution) and the image
 * itself running. To run it, the layers are unpacked into a root directory and the entrypoint is
 * started there with {@code unshare} and a chroot, as the image's user, with a read-only root and
 * a tmpfs {@code /tmp}: what {@code ops/kubernetes/deployment.yaml}'s security context gives a
 * pod. The last test runs {@code relay run} with the pod's environment from the manifests against
 * a scratch database and asks the Deployment's probes.
 */
public class ImageIT {
    private static final Path TARBALL = Path.of(System.getProperty("image.tar", "target/jib-image.tar"));
    private static final Path DISTRIBUTION = Path.of("..", "distribution", "target", "outbox-relay");
    private static final Path WORK = Path.of("target", "image-it").toAbsolutePath();
    private static final Path ROOTFS = WORK.resolve("rootfs");
    private static final String HOME = System.getProperty("image.home", "/opt/outbox-relay");
    private static final String USER = System.getProperty("image.user", "65532");
    private static final String VERSION = System.getProperty("image.version");
    private static final Duration WAIT = Duration.ofSeconds(60);
    /**
     * Run inside fresh mount and PID namespaces: the root made read-only, a tmpfs on /tmp, the
     * devices and /proc, then no_new_privs (allowPrivilegeEscalation: false) and unshare's own
     * chroot (--root), working directory and user switch (which leaves no capability).
     */
    private static final String RUNNER = String.join("\n",
            "r=$1 wd=$2 uid=$3; shift 3",
            "mount --bind \"$r\" \"$r\"",
            "mount -o remount,bind,ro \"$r\"",
            "mount -t tmpfs -o nosuid,nodev,size=64m tmpfs \"$r/tmp\"",
            "mount --rbind /dev \"$r/dev\"",
            "mount -t proc proc \"$r/proc\"",
            "exec setpriv --no-new-privs unshare --root=\"$r\" --wd=\"$wd\" --setgid \"$uid\" --setuid \"$uid\" -- \"$@\"");

    private static JsonObject manifest;
    private static JsonObject config;

    @BeforeAll
    static void unpack() throws Exception {
        assertThat(TARBALL).as("the image tarball: build it with mvn -Pimage package (CI: .ci/check-image.sh)").exists();
        deleteWork();
        Path image = WORK.resolve("image");
        Files.createDirectories(image);
        Files.createDirectories(ROOTFS);
        exec(List.of("tar", "-xf", TARBALL.toString(), "-C", image.toString()));
        try (JsonReader r = Json.createReader(Files.newBufferedReader(image.resolve("manifest.json")))) {
            JsonArray manifests = r.readArray();
            assertThat(manifests).as("images in the tarball").hasSize(1);
            manifest = manifests.getJsonObject(0);
        }
        try (JsonReader r = Json.createReader(Files.newBufferedReader(image.resolve(manifest.getString("Config"))))) {
            config = r.readObject();
        }
        for (JsonString layer : manifest.getJsonArray("Layers").getValuesAs(JsonString.class)) {
            exec(List.of("tar", "-xf", image.resolve(layer.getString()).toString(), "-C", ROOTFS.toString(),
                    "--numeric-owner"));
        }
        try (Stream<Path> files = Files.walk(ROOTFS)) {
            assertThat(files.filter(f -> f.getFileName().toString().startsWith(".wh.")).toList())
                    .as("whiteout files (a layer deleting a file of another): unpacking them is not implemented").isEmpty();
        }
    }

    @AfterAll
    static void deleteWork() throws IOException {
        if (!Files.exists(WORK)) {
            return;
        }
        try (Stream<Path> files = Files.walk(WORK)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }

    @Test
    void theConfigRunsTheReadmesCommandAsANonRootUser() throws IOException {
        assertThat(manifest.getJsonArray("RepoTags").getString(0)).isEqualTo(System.getProperty("image.name") + ":"
                + System.getProperty("image.tag"));
        assertThat(config.getString("os")).isEqualTo("linux");
        assertThat(config.getString("architecture")).isEqualTo("amd64");
        JsonObject c = config.getJsonObject("config");
        List<String> entrypoint = strings(c.getJsonArray("Entrypoint"));
        List<String> cmd = strings(c.getJsonArray("Cmd"));
        assertThat(entrypoint).first().isEqualTo("java");
        assertThat(entrypoint).endsWith("-jar", HOME + "/relay.jar");
        assertThat(cmd).containsExactly("run");
        String readme = Files.readString(Path.of("..", "..", "README.md"));
        String documented = "entrypoint `" + String.join(" ", entrypoint) + "` and command `" + String.join(" ", cmd) + "`";
        assertThat(readme.contains(documented)).as("README.md states the image's %s", documented).isTrue();
        assertThat(c.getString("WorkingDir")).isEqualTo(HOME);
        assertThat(c.getString("User")).as("user:group, numeric (no passwd lookup), not root")
                .matches("[1-9][0-9]*:[1-9][0-9]*").isEqualTo(USER + ":" + USER);
        assertThat(c.getJsonObject("ExposedPorts").keySet()).as("the sidecar's default HTTP port")
                .containsExactly(SidecarConfig.HTTP_PORT.defaultValue().orElseThrow() + "/tcp");
        Map<String, String> labels = new TreeMap<>();
        c.getJsonObject("Labels").forEach((k, v) -> labels.put(k, ((JsonString) v).getString()));
        assertThat(labels).containsEntry("org.opencontainers.image.title", "outbox-relay")
                .containsEntry("org.opencontainers.image.version", VERSION)
                .containsEntry("org.opencontainers.image.licenses", "Apache-2.0")
                .containsKeys("org.opencontainers.image.description", "org.opencontainers.image.base.name");
        List<String> env = strings(c.getJsonArray("Env"));
        assertThat(env).as("the image's environment sets no relay setting and no credential")
                .noneMatch(e -> e.startsWith("OUTBOX_"))
                .noneMatch(e -> e.split("=", 2)[0].matches("(?i).*(PASSWORD|SECRET|TOKEN|CREDENTIAL|KEY).*"));
    }

    /**
     * The application is the distribution, file for file, owned by root and read-only for the
     * relay's user; jars only (nothing a build machine might leave, such as a properties file with
     * a password).
     */
    @Test
    void theApplicationIsTheDistributionReadOnlyForTheRelay() throws IOException {
        Path app = ROOTFS.resolve(HOME.substring(1));
        Map<String, Path> inImage = files(app);
        Map<String, Path> built = files(DISTRIBUTION);
        assertThat(inImage.keySet()).as("files of %s in the image", HOME).isEqualTo(built.keySet())
                .contains("relay.jar").anyMatch(f -> f.startsWith("lib/"))
                .anyMatch(f -> f.startsWith("transports/kafka/outbox-transport-kafka-"))
                .allMatch(f -> f.endsWith(".jar"));
        for (Map.Entry<String, Path> f : inImage.entrySet()) {
            assertThat(Files.mismatch(f.getValue(), built.get(f.getKey()))).as("%s differs from the distribution's", f.getKey())
                    .isEqualTo(-1L);
        }
        try (Stream<Path> all = Files.walk(app)) {
            for (Path f : all.toList()) {
                assertThat(Files.getAttribute(f, "unix:uid", LinkOption.NOFOLLOW_LINKS)).as("owner of %s", f).isEqualTo(0);
                assertThat(Files.getPosixFilePermissions(f, LinkOption.NOFOLLOW_LINKS)).as("permissions of %s", f)
                        .doesNotContain(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE)
                        .contains(PosixFilePermission.OTHERS_READ);
            }
        }
    }

    @Test
    void theImagePrintsItsVersionAsItsUser() throws Exception {
        List<String> argv = new ArrayList<>(strings(config.getJsonObject("config").getJsonArray("Entrypoint")));
        argv.add("--version");
        Path log = WORK.resolve("version.log");
        Process p = start(argv, Map.of(), log);
        try {
            assertThat(p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("relay --version in the image exited").isTrue();
        } finally {
            stop(p);
        }
        assertThat(p.exitValue()).as(Files.readString(log)).isZero();
        assertThat(Files.readString(log).strip()).isEqualTo("outbox relay " + VERSION);
    }

    /**
     * {@code relay run} in the image with the pod's environment (ConfigMap, the Secret's values as
     * env and as a file, the pod name), as the image's user with a read-only root: the Deployment's
     * liveness and readiness probes answer 200, an event is delivered, and SIGTERM stops it with
     * exit code 0 within the grace period. The HTTP port is the only change: the image runs in
     * this machine's network (to reach the test database), where 9400 may be taken;
     * {@link KubernetesManifestsTest} checks that the manifests' port is the sidecar's.
     */
    @Test
    void relayRunsWithTheKubernetesManifestsAndAnswersTheirProbes() throws Exception {
        Manifests manifests = Manifests.load();
        Map<String, Object> container = manifests.container();
        String liveness = (String) Manifests.path(container, "livenessProbe", "httpGet", "path");
        String readiness = (String) Manifests.path(container, "readinessProbe", "httpGet", "path");
        long grace = ((Number) manifests.podSpec().get("terminationGracePeriodSeconds")).longValue();
        try (TestDatabase db = TestDatabase.create()) {
            String url = db.jdbcUrl() + (db.jdbcUrl().contains("?") ? "&" : "?") + "options=-c%20role%3Doutbox_relay";
            Map<String, String> secret = new LinkedHashMap<>(manifests.secretData());
            secret.put("url", url);
            secret.put("username", parameter(url, "user", "postgres"));
            secret.put("password", parameter(url, "password", secret.get("password")));
            Map<String, String> env = manifests.podEnvironment(secret, "outbox-relay-image-it");
            String passwordFile = env.get(SidecarConfig.JDBC_PASSWORD.env() + ConfigReader.FILE_SUFFIX);
            writeSecretFile(passwordFile, secret.get("password"));
            int port;
            try (ServerSocket free = new ServerSocket(0)) {
                port = free.getLocalPort();
            }
            env.put(SidecarConfig.HTTP_PORT.env(), String.valueOf(port));
            env.put(SidecarConfig.HTTP_HOST.env(), "127.0.0.1");
            List<String> argv = new ArrayList<>(strings(config.getJsonObject("config").getJsonArray("Entrypoint")));
            argv.addAll(strings(config.getJsonObject("config").getJsonArray("Cmd")));
            Path log = WORK.resolve("relay.log");
            long started = System.nanoTime();
            Process relay = start(argv, env, log);
            try {
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
                awaitValue("liveness " + liveness + " answers 200, or the relay gone", WAIT,
                        () -> !relay.isAlive() || status(http, port, liveness) == 200 ? Boolean.TRUE : null);
                assertThat(relay.isAlive()).as("the relay runs; its log:\n%s", Files.readString(log)).isTrue();
                long live = System.nanoTime();
                await("readiness " + readiness + " answers 200", WAIT, () -> status(http, port, readiness) == 200);
                long ready = System.nanoTime();
                db.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                        + " VALUES ('Order', 'o-1', 'OrderPlaced', '{\"n\": 1}')");
                await("the event published", WAIT,
                        () -> db.queryLong("SELECT count(*) FROM outbox.event WHERE published_at IS NULL") == 0);
                HttpResponse<String> metrics = http.send(request(port, "/metrics"), HttpResponse.BodyHandlers.ofString());
                assertThat(metrics.body()).contains("outbox_database_up 1");
                ProcessHandle java = relay.descendants().filter(h -> h.info().command().orElse("").endsWith("/java"))
                        .findFirst().orElseThrow(() -> new AssertionError("no java process under the runner"));
                Map<String, String> status = procStatus(java.pid());
                assertThat(status.get("Uid")).as("real, effective, saved and file system uid").isEqualTo(
                        String.join("\t", USER, USER, USER, USER));
                assertThat(status.get("CapEff")).as("effective capabilities").isEqualTo("0000000000000000");
                assertThat(status.get("NoNewPrivs")).as("allowPrivilegeEscalation: false").isEqualTo("1");
                List<String> root = Files.readAllLines(Path.of("/proc", String.valueOf(java.pid()), "mountinfo")).stream()
                        .map(l -> l.split(" ")).filter(f -> f[4].equals("/")).map(f -> f[5]).toList();
                assertThat(root).as("options of the relay's root mount").singleElement().asString().startsWith("ro,");
                String rss = status.get("VmRSS").replaceAll("\\s+", " ");
                long stopping = System.nanoTime();
                assertThat(java.destroy()).as("SIGTERM sent").isTrue();
                assertThat(relay.waitFor(grace, TimeUnit.SECONDS)).as("stopped within the grace period, %d s", grace)
                        .isTrue();
                long stopped = System.nanoTime();
                String output = Files.readString(log);
                assertThat(relay.exitValue()).as(output).isZero();
                assertThat(output).contains("outbox-relay-image-it", "OrderPlaced").doesNotContain(secret.get("password"));
                System.out.printf("ImageIT: live after %d ms, ready after %d ms, %s with one event delivered, stopped"
                        + " %d ms after SIGTERM%n", millis(started, live), millis(started, ready), rss,
                        millis(stopping, stopped));
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\nthe relay's log:\n" + Files.readString(log), e);
            } finally {
                stop(relay);
            }
        }
    }

    /** Starts {@code argv} in the unpacked image as its user, with its environment plus {@code env}. */
    private static Process start(List<String> argv, Map<String, String> env, Path log) throws IOException {
        int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        assertThat(uid).as("ImageIT runs the image with unshare and chroot, which needs root (CI runs as root);"
                + " this JVM runs as uid %d", uid).isZero();
        List<String> command = new ArrayList<>(List.of("unshare", "--mount", "--pid", "--fork", "--kill-child",
                "sh", "-ec", RUNNER, "runner", ROOTFS.toString(), config.getJsonObject("config").getString("WorkingDir"),
                USER));
        command.addAll(argv);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().clear();
        for (String e : strings(config.getJsonObject("config").getJsonArray("Env"))) {
            String[] kv = e.split("=", 2);
            builder.environment().put(kv[0], kv[1]);
        }
        builder.environment().putAll(env);
        try {
            return builder.start();
        } catch (IOException e) {
            throw new AssertionError("cannot start unshare (util-linux; apt-get install util-linux)", e);
        }
    }

    /** Ends the runner and everything under it (the image's processes), whatever state they are in. */
    private static void stop(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("the runner ended").isTrue();
    }

    /**
     * Writes a Secret's file where the pod's mount puts it, as the kubelet does with fsGroup and
     * defaultMode 0440: owned by root, readable by the relay's group only. The path is resolved
     * inside the image (Debian's /var/run is a link to /run), never on this machine.
     */
    private static void writeSecretFile(String path, String value) throws IOException {
        Path file = inRoot(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, value);
        Files.setAttribute(file, "unix:gid", Integer.parseInt(USER));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r-----"));
    }

    /** {@code path} of the image, in the unpacked root, following the image's symbolic links inside it. */
    private static Path inRoot(String path) throws IOException {
        Path current = ROOTFS;
        List<String> parts = new ArrayList<>(List.of(path.substring(1).split("/")));
        for (int i = 0, links = 0; i < parts.size(); i++) {
            Path next = current.resolve(parts.get(i));
            if (Files.isSymbolicLink(next)) {
                assertThat(++links).as("symbolic links resolving %s", path).isLessThan(20);
                String target = Files.readSymbolicLink(next).toString();
                List<String> rest = new ArrayList<>(List.of(target.replaceFirst("^/", "").split("/")));
                rest.addAll(parts.subList(i + 1, parts.size()));
                current = target.startsWith("/") ? ROOTFS : current;
                parts = rest;
                i = -1;
                continue;
            }
            current = parts.get(i).equals("..") ? current.getParent() : next;
            assertThat(current.normalize().startsWith(ROOTFS)).as("%s stays inside the image", path).isTrue();
        }
        return current;
    }

    /** {@code /proc/<pid>/status} as name, value. */
    private static Map<String, String> procStatus(long pid) throws IOException {
        Map<String, String> status = new TreeMap<>();
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
            String[] kv = line.split(":\\s*", 2);
            status.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
        return status;
    }

    private static int status(HttpClient http, int port, String path) throws IOException, InterruptedException {
        try {
            return http.send(request(port, path), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (ConnectException notYetListening) {
            return -1;
        }
    }

    private static HttpRequest request(int port, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build();
    }

    /** A query parameter of a JDBC URL, or {@code otherwise}. */
    private static String parameter(String url, String name, String otherwise) {
        Matcher m = Pattern.compile("[?&]" + name + "=([^&]*)").matcher(url);
        return m.find() ? m.group(1) : otherwise;
    }

    private static long millis(long from, long to) {
        return TimeUnit.NANOSECONDS.toMillis(to - from);
    }

    private static List<String> strings(JsonArray array) {
        return array.getValuesAs(JsonString.class).stream().map(JsonString::getString).toList();
    }

    /** Regular files under {@code dir} by their path relative to it. */
    private static Map<String, Path> files(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            Map<String, Path> files = new TreeMap<>();
            all.filter(Files::isRegularFile).forEach(f -> files.put(dir.relativize(f).toString(), f));
            return files;
        }
    }

    private static void exec(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("%s ended", command).isTrue();
        assertThat(p.exitValue()).as("%s: %s", command, output).isZero();
    }
}
