package dev.outbox.relay.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.sidecar.SidecarConfig;
import dev.outbox.relay.spi.TransportFactory;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The Kubernetes manifests of {@code ops/kubernetes/} as parsed YAML, with the few lookups the
 * tests need: the ConfigMap, the Secret, the Deployment's relay container and the environment a
 * pod of it gets. Shared by {@link KubernetesManifestsTest} (static checks) and {@link ImageIT}
 * (which runs the image with that environment).
 */
final class Manifests {
    static final Path DIR = Path.of("..", "..", "ops", "kubernetes");

    private final Map<String, Map<String, Object>> byKind = new LinkedHashMap<>();

    private Manifests() {
    }

    /** Every document of every {@code *.yaml} file; one object per kind. */
    static Manifests load() throws IOException {
        Manifests m = new Manifests();
        List<Path> files;
        try (Stream<Path> list = Files.list(DIR)) {
            files = list.filter(f -> f.getFileName().toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(files).as("manifests in %s", DIR).isNotEmpty();
        for (Path file : files) {
            try (Reader reader = Files.newBufferedReader(file)) {
                for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(reader)) {
                    if (doc == null) {
                        continue;
                    }
                    Map<String, Object> object = map(doc, file.toString());
                    String kind = (String) object.get("kind");
                    assertThat(kind).as("%s: kind", file).isNotNull();
                    assertThat(m.byKind.put(kind, object)).as("%s: a second %s", file, kind).isNull();
                }
            }
        }
        return m;
    }

    Map<String, Object> get(String kind) {
        Map<String, Object> object = byKind.get(kind);
        assertThat(object).as("a %s in %s", kind, DIR).isNotNull();
        return object;
    }

    Map<String, Object> deployment() {
        return get("Deployment");
    }

    Map<String, Object> podSpec() {
        return map(path(deployment(), "spec", "template", "spec"), "pod spec");
    }

    /** The relay's container (the only one). */
    Map<String, Object> container() {
        List<Object> containers = list(podSpec().get("containers"), "containers");
        assertThat(containers).as("the Deployment's containers").hasSize(1);
        return map(containers.get(0), "container");
    }

    Map<String, String> configMapData() {
        return strings(get("ConfigMap").get("data"), "ConfigMap data");
    }

    Map<String, String> secretData() {
        return strings(get("Secret").get("stringData"), "Secret stringData");
    }

    /** The container's own env entries, by name (the ConfigMap's come through envFrom). */
    Map<String, Map<String, Object>> env() {
        Map<String, Map<String, Object>> env = new LinkedHashMap<>();
        for (Object entry : list(container().getOrDefault("env", List.of()), "env")) {
            Map<String, Object> e = map(entry, "env entry");
            assertThat(env.put((String) e.get("name"), e)).as("env %s twice", e.get("name")).isNull();
        }
        return env;
    }

    /**
     * The environment a pod gets: the ConfigMap (envFrom) overridden by the container's env, with
     * Secret references resolved from {@code secret} and the pod name from {@code podName}.
     */
    Map<String, String> podEnvironment(Map<String, String> secret, String podName) {
        Map<String, String> result = new LinkedHashMap<>();
        for (Object from : list(container().getOrDefault("envFrom", List.of()), "envFrom")) {
            Object ref = map(from, "envFrom").get("configMapRef");
            assertThat(ref).as("envFrom other than the ConfigMap").isNotNull();
            assertThat(map(ref, "configMapRef").get("name")).isEqualTo(path(get("ConfigMap"), "metadata", "name"));
            result.putAll(configMapData());
        }
        env().forEach((name, e) -> {
            if (e.containsKey("value")) {
                result.put(name, String.valueOf(e.get("value")));
                return;
            }
            Map<String, Object> from = map(e.get("valueFrom"), "valueFrom of " + name);
            if (from.containsKey("secretKeyRef")) {
                Map<String, Object> ref = map(from.get("secretKeyRef"), "secretKeyRef");
                assertThat(ref.get("name")).as("%s's Secret", name).isEqualTo(path(get("Secret"), "metadata", "name"));
                String value = secret.get((String) ref.get("key"));
                assertThat(value).as("%s: the Secret's key %s", name, ref.get("key")).isNotNull();
                result.put(name, value);
            } else if (from.containsKey("fieldRef")) {
                assertThat(path(from, "fieldRef", "fieldPath")).as(name).isEqualTo("metadata.name");
                result.put(name, podName);
            } else {
                throw new AssertionError("env " + name + ": unexpected valueFrom " + from.keySet());
            }
        });
        return result;
    }

    /** The pod's volume named {@code name}. */
    Map<String, Object> volume(String name) {
        for (Object v : list(podSpec().get("volumes"), "volumes")) {
            Map<String, Object> volume = map(v, "volume");
            if (name.equals(volume.get("name"))) {
                return volume;
            }
        }
        throw new AssertionError("no volume " + name);
    }

    List<Map<String, Object>> volumeMounts() {
        List<Map<String, Object>> mounts = new ArrayList<>();
        for (Object m : list(container().get("volumeMounts"), "volumeMounts")) {
            mounts.add(map(m, "volumeMount"));
        }
        return mounts;
    }

    /** The sidecar's, the engine's and every installed transport's declared settings. */
    static List<ConfigModel> models() {
        List<ConfigModel> models = new ArrayList<>(List.of(SidecarConfig.MODEL, RelayConfig.MODEL));
        transports().stream().map(TransportFactory::config).forEach(models::add);
        return models;
    }

    static List<TransportFactory> transports() {
        return ServiceLoader.load(TransportFactory.class).stream().map(ServiceLoader.Provider::get).toList();
    }

    static Object path(Map<String, Object> object, String... keys) {
        Object current = object;
        for (String key : keys) {
            current = map(current, key).get(key);
        }
        return current;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value, String what) {
        assertThat(value).as("%s is a mapping", what).isInstanceOf(Map.class);
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object value, String what) {
        assertThat(value).as("%s is a list", what).isInstanceOf(List.class);
        return (List<Object>) value;
    }

    /** A mapping whose values are all strings (ConfigMap and Secret data must be quoted). */
    static Map<String, String> strings(Object value, String what) {
        Map<String, String> result = new LinkedHashMap<>();
        map(value, what).forEach((k, v) -> {
            assertThat(v).as("%s: %s is a string (quote it)", what, k).isInstanceOf(String.class);
            result.put(k, (String) v);
        });
        return result;
    }
}
