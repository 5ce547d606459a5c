package dev.outbox.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.config.Setting;
import dev.outbox.relay.spi.TransportFactory;
import dev.outbox.spring.internal.SpringConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The starter's {@code META-INF/spring-configuration-metadata.json} (IDE completion of
 * {@code outbox.*}) is written from the declared settings: the starter's, the relay's and every
 * built-in transport's, under the Spring keys {@link SpringConfig} reads. To rewrite it after
 * changing a declaration: {@code mvn -pl spring-boot-starter -am test -Dtest=ConfigurationMetadataTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dmetadata.update=true}.
 */
class ConfigurationMetadataTest {
    private static final Path METADATA = Path.of("src/main/resources/META-INF/spring-configuration-metadata.json");

    @Test
    void theMetadataIsTheDeclaredSettingsUnderTheirSpringKeys() throws IOException {
        String expected = metadata();
        if (Boolean.getBoolean("metadata.update")) {
            Files.writeString(METADATA, expected);
        }
        assertThat(Files.readString(METADATA)).as("%s is written from the declarations; rewrite it with"
                + " -Dmetadata.update=true (see this test's Javadoc)", METADATA).isEqualTo(expected);
    }

    @Test
    void everyBuiltInTransportIsListed() {
        List<String> names = SpringConfig.installedTransports(getClass().getClassLoader()).stream()
                .map(TransportFactory::name).toList();

        assertThat(names).contains("kafka", "rabbitmq", "nats", "redis", "http", "eventbridge", "pubsub", "sqs");
    }

    static String metadata() {
        Map<String, Setting<?>> properties = new LinkedHashMap<>();
        SpringConfig.MODEL.settings().forEach(s -> properties.put(SpringConfig.key(s), s));
        RelayConfig.MODEL.settings().forEach(s -> properties.put(SpringConfig.key(s), s));
        List<TransportFactory> transports = new ArrayList<>(SpringConfig.installedTransports(
                ConfigurationMetadataTest.class.getClassLoader()));
        transports.sort(Comparator.comparing(TransportFactory::name));
        Set<String> defaultPerTransport = new HashSet<>();
        for (TransportFactory t : transports) {
            // Routing settings are shared: the first transport's description stands for all, and
            // a default that differs between transports (route-default) is left to the README.
            for (Setting<?> s : t.config().settings()) {
                Setting<?> first = properties.putIfAbsent(SpringConfig.transportKey(s), s);
                if (first != null && !first.shownDefault().equals(s.shownDefault())) {
                    defaultPerTransport.add(SpringConfig.transportKey(s));
                }
            }
        }
        StringBuilder json = new StringBuilder("{\n  \"groups\": [\n");
        json.append(group("outbox", "The transactional outbox: writer, inbox and embedded relay.")).append(",\n");
        json.append(group("outbox.relay", "The embedded relay (off unless outbox.relay.enabled=true).")).append(",\n");
        json.append(group("outbox.transport", "The relay's transport, selected by outbox.transport.name.")).append("\n");
        json.append("  ],\n  \"properties\": [\n");
        json.append(String.join(",\n", properties.entrySet().stream().map(e -> property(e.getKey(), e.getValue(),
                !defaultPerTransport.contains(e.getKey()))).toList()));
        json.append("\n  ],\n  \"hints\": [\n");
        List<String> hints = new ArrayList<>();
        hints.add(hint(SpringConfig.key(SpringConfig.TRANSPORT), transports.stream().map(TransportFactory::name).toList()));
        properties.forEach((key, s) -> {
            if (s.typeName().contains(" | ")) {
                hints.add(hint(key, List.of(s.typeName().split(" \\| "))));
            }
        });
        json.append(String.join(",\n", hints)).append("\n  ]\n}\n");
        return json.toString();
    }

    private static String group(String name, String description) {
        return "    {\"name\": " + quote(name) + ", \"description\": " + quote(description) + "}";
    }

    private static String property(String key, Setting<?> s, boolean withDefault) {
        String type = switch (s.typeName()) {
            case "integer" -> "java.lang.Integer";
            case "boolean" -> "java.lang.Boolean";
            case "duration" -> "java.time.Duration";
            default -> "java.lang.String";
        };
        StringBuilder p = new StringBuilder("    {\"name\": " + quote(key) + ", \"type\": " + quote(type)
                + ", \"description\": " + quote(s.description() + (s.required() ? " Required." : "")));
        // A computed default (the host name) is described, not given: shownDefault() differs from the value.
        String shown = s.defaultValue().isPresent() ? format(s) : null;
        if (withDefault && !s.secret() && shown != null && shown.equals(s.shownDefault())) {
            p.append(", \"defaultValue\": ").append(type.equals("java.lang.Integer") || type.equals("java.lang.Boolean")
                    ? shown : quote(shown));
        }
        return p.append("}").toString();
    }

    @SuppressWarnings("unchecked")
    private static <T> String format(Setting<T> s) {
        return ((Function<T, String>) s::format).apply(s.defaultValue().orElseThrow());
    }

    private static String hint(String key, List<String> values) {
        return "    {\"name\": " + quote(key) + ", \"values\": [" + String.join(", ",
                values.stream().map(v -> "{\"value\": " + quote(v) + "}").toList()) + "]}";
    }

    private static String quote(String text) {
        StringBuilder q = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> q.append("\\\"");
                case '\\' -> q.append("\\\\");
                case '\n' -> q.append("\\n");
                default -> q.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return q.append('"').toString();
    }
}
