package dev.outbox.relay.image;

import static dev.outbox.relay.image.Manifests.list;
import static dev.outbox.relay.image.Manifests.map;
import static dev.outbox.relay.image.Manifests.path;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigReader;
import dev.outbox.relay.config.Setting;
import dev.outbox.relay.sidecar.SidecarConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes manifests ({@code ops/kubernetes/}) against the code they configure: every
 * {@code OUTBOX_*} key is one the configuration model declares and the whole pod environment
 * passes the sidecar's own validation ({@link SidecarConfig#load}); secret settings come only from
 * the Secret; the probes and ports are the sidecar's; the image is the one {@code relay/image}
 * builds; the pod runs locked down; the grace period covers the relay's shutdown bound.
 * {@link ImageIT} runs the image with this environment and these probes.
 */
class KubernetesManifestsTest {
    /** A pod name as the Deployment's ReplicaSet makes them: {@code <deployment>-<10 chars>-<5 chars>}. */
    private static final int POD_NAME_SUFFIX = 17;
    /** Between the relay's own stop (OUTBOX_SHUTDOWN_TIMEOUT) and SIGKILL: the JVM's exit, the kubelet's delays. */
    private static final Duration GRACE_MARGIN = Duration.ofSeconds(5);

    private static Manifests manifests;

    @BeforeAll
    static void load() throws IOException {
        manifests = Manifests.load();
    }

    @Test
    void everyOutboxKeyIsDeclaredByTheConfigurationModel() {
        Set<String> known = new TreeSet<>();
        Manifests.models().forEach(m -> known.addAll(m.keys()));
        Set<String> used = new LinkedHashSet<>(manifests.configMapData().keySet());
        used.addAll(manifests.env().keySet());
        assertThat(used).as("keys of the ConfigMap and the container's env").isNotEmpty()
                .allMatch(k -> k.startsWith("OUTBOX_"), "start with OUTBOX_")
                .noneMatch(k -> k.startsWith(SidecarConfig.TEST_PREFIX));
        for (String key : used) {
            assertThat(known).as("%s is declared (SidecarConfig.MODEL, RelayConfig.MODEL or a transport's config());"
                    + " did you mean %s?", key, ConfigReader.closest(key, known)).contains(key);
        }
    }

    /** The pod's environment, Secret and pod name filled in, is accepted by the sidecar as it starts. */
    @Test
    void thePodEnvironmentIsAValidSidecarConfiguration(@TempDir Path dir) throws IOException {
        SidecarConfig config = load(dir);
        assertThat(config.transport().name()).isEqualTo(manifests.configMapData()
                .getOrDefault(SidecarConfig.TRANSPORT.env(), SidecarConfig.DEFAULT_TRANSPORT));
        String deployment = (String) path(manifests.deployment(), "metadata", "name");
        assertThat(deployment.length() + POD_NAME_SUFFIX).as("pod names (OUTBOX_INSTANCE_NAME) of Deployment %s fit"
                + " the instance name's 40 characters", deployment).isLessThanOrEqualTo(40);
    }

    @Test
    void secretSettingsComeOnlyFromTheSecret() {
        Map<String, String> configMap = manifests.configMapData();
        Map<String, Map<String, Object>> env = manifests.env();
        Set<String> secretKeysUsed = new TreeSet<>();
        for (ConfigModel model : Manifests.models()) {
            for (Setting<?> s : model.settings()) {
                if (!s.secret()) {
                    continue;
                }
                String file = s.env() + ConfigReader.FILE_SUFFIX;
                assertThat(configMap).as("secret %s in the ConfigMap", s.env()).doesNotContainKeys(s.env(), file);
                if (env.containsKey(s.env())) {
                    assertThat(path(env.get(s.env()), "valueFrom", "secretKeyRef")).as("secret %s is a secretKeyRef", s.env())
                            .isNotNull();
                }
                if (env.containsKey(file)) {
                    secretKeysUsed.add(secretFile((String) env.get(file).get("value"), file));
                }
            }
        }
        env.values().stream().map(e -> path(e, "valueFrom")).filter(v -> v != null && map(v, "valueFrom")
                .containsKey("secretKeyRef")).forEach(v -> secretKeysUsed.add((String) path(map(v, "valueFrom"),
                "secretKeyRef", "key")));
        assertThat(secretKeysUsed).as("the Secret's keys the pod reads").isEqualTo(manifests.secretData().keySet());
        assertThat(env).as("the database password reaches the relay as a file").containsKey(
                SidecarConfig.JDBC_PASSWORD.env() + ConfigReader.FILE_SUFFIX).doesNotContainKey(SidecarConfig.JDBC_PASSWORD.env());
        assertThat(String.join("\n", configMap.values())).as("no credentials in ConfigMap values")
                .doesNotContainIgnoringCase("password").doesNotContain("@");
    }

    /** The Secret key a {@code *_FILE} path names: a file of a mounted Secret volume. */
    private static String secretFile(String path, String key) {
        assertThat(path).as(key).isNotNull();
        Path file = Path.of(path);
        for (Map<String, Object> mount : manifests.volumeMounts()) {
            if (file.getParent().equals(Path.of((String) mount.get("mountPath")))) {
                assertThat(mount.get("readOnly")).as("%s's mount is read-only", key).isEqualTo(true);
                Map<String, Object> secret = map(manifests.volume((String) mount.get("name")).get("secret"),
                        key + "'s volume is a Secret");
                assertThat(secret.get("secretName")).isEqualTo(path(manifests.get("Secret"), "metadata", "name"));
                for (Object item : list(secret.get("items"), "items")) {
                    if (file.getFileName().toString().equals(map(item, "item").get("path"))) {
                        return (String) map(item, "item").get("key");
                    }
                }
                throw new AssertionError(key + "=" + path + ": the Secret volume has no item with that path");
            }
        }
        throw new AssertionError(key + "=" + path + " is not in a mounted volume");
    }

    @Test
    void probesAndPortsAreTheSidecars(@TempDir Path dir) throws IOException {
        int port = load(dir).httpPort();
        assertThat(port).as("OUTBOX_HTTP_PORT").isEqualTo(SidecarConfig.HTTP_PORT.defaultValue().orElseThrow());
        Map<String, Object> container = manifests.container();
        Map<String, Object> http = map(list(container.get("ports"), "ports").get(0), "port");
        assertThat(http).containsEntry("name", "http").containsEntry("containerPort", port);
        // The paths HttpEndpoints serves (README "Probes and metrics"); ImageIT asks the running image for them.
        assertThat(path(container, "livenessProbe", "httpGet")).isEqualTo(Map.of("path", "/health", "port", "http"));
        assertThat(path(container, "readinessProbe", "httpGet")).isEqualTo(Map.of("path", "/ready", "port", "http"));
        assertThat(map(path(manifests.deployment(), "spec", "template", "metadata", "annotations"), "annotations"))
                .containsEntry("prometheus.io/port", String.valueOf(port)).containsEntry("prometheus.io/path", "/metrics");
    }

    @Test
    void theImageIsTheOneJibBuilds() {
        assertThat(manifests.container().get("image")).as("relay/image's <image.name>:<image.tag>")
                .isEqualTo(System.getProperty("image.name") + ":" + System.getProperty("image.tag"));
        assertThat(manifests.container()).as("the image's own entrypoint and command")
                .doesNotContainKeys("command", "args");
    }

    @Test
    void thePodRunsLockedDown() {
        Map<String, Object> pod = manifests.podSpec();
        assertThat(pod).containsEntry("automountServiceAccountToken", false);
        assertThat(map(pod.get("securityContext"), "pod securityContext")).containsEntry("runAsNonRoot", true)
                .containsEntry("runAsUser", 65532).containsEntry("runAsGroup", 65532);
        Map<String, Object> security = map(manifests.container().get("securityContext"), "securityContext");
        assertThat(security).containsEntry("runAsNonRoot", true).containsEntry("allowPrivilegeEscalation", false)
                .containsEntry("readOnlyRootFilesystem", true);
        assertThat(path(security, "capabilities", "drop")).isEqualTo(List.of("ALL"));
        assertThat(security).doesNotContainKey("privileged");
        // A read-only root needs a writable /tmp (the JVM's files, native libraries some clients unpack).
        Map<String, Object> tmp = manifests.volumeMounts().stream().filter(m -> "/tmp".equals(m.get("mountPath")))
                .findFirst().orElseThrow(() -> new AssertionError("no volume at /tmp"));
        assertThat(manifests.volume((String) tmp.get("name"))).containsKey("emptyDir");
        Map<String, Object> resources = map(manifests.container().get("resources"), "resources");
        for (String kind : List.of("requests", "limits")) {
            assertThat(map(resources.get(kind), kind)).as(kind).containsKeys("cpu", "memory");
        }
        assertThat(path(resources, "requests", "memory")).as("memory request = limit: the heap is a share of the limit")
                .isEqualTo(path(resources, "limits", "memory"));
    }

    @Test
    void theGracePeriodCoversTheRelaysShutdownBound(@TempDir Path dir) throws IOException {
        Duration shutdown = load(dir).relayConfig().shutdownTimeout();
        Duration grace = Duration.ofSeconds(((Number) manifests.podSpec().get("terminationGracePeriodSeconds")).longValue());
        assertThat(grace).as("terminationGracePeriodSeconds against OUTBOX_SHUTDOWN_TIMEOUT=%s", shutdown)
                .isGreaterThanOrEqualTo(shutdown.plus(GRACE_MARGIN));
    }

    /** The sidecar's configuration from the pod's environment, the Secret's files written to {@code dir}. */
    private static SidecarConfig load(Path dir) throws IOException {
        Map<String, String> env = new LinkedHashMap<>(manifests.podEnvironment(manifests.secretData(),
                "outbox-relay-5d8f7b9c6d-x2x7k"));
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (e.getKey().endsWith(ConfigReader.FILE_SUFFIX) && !e.getKey().equals(SidecarConfig.CONFIG_FILE.env())) {
                Path file = dir.resolve(Path.of(e.getValue()).getFileName());
                Files.writeString(file, manifests.secretData().get(secretFile(e.getValue(), e.getKey())));
                e.setValue(file.toString());
            }
        }
        return SidecarConfig.load(env, null, Manifests.transports());
    }
}
