package dev.outbox.spring.internal;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigReader;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.config.Setting;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.core.env.Environment;

/**
 * The {@code outbox.*} Spring properties, read through the configuration model: the relay's and
 * the transports' declared settings ({@link RelayConfig#MODEL}, {@link TransportFactory#config()})
 * under Spring names ({@code relay.batchSize} is {@code outbox.relay.batch-size}, the kafka
 * transport's {@code kafka.clientId} is {@code outbox.transport.kafka.client-id}), validated by
 * the same rules as the sidecar's environment, with every problem named by its Spring key.
 * Values come through Spring's relaxed binding ({@code outbox.relay.batchSize},
 * {@code OUTBOX_RELAY_BATCHSIZE} …). A key under {@code outbox.relay} or {@code outbox.transport}
 * that no setting declares is refused, so that a typo cannot leave a setting at its default.
 */
public final class SpringConfig {
    public static final String PREFIX = "outbox.";
    public static final String TRANSPORT_PREFIX = PREFIX + "transport.";

    /** The starter's own settings; the relay's and the transports' are declared by their models. */
    public static final Setting<Boolean> RELAY_ENABLED = Setting.bool("relay.enabled", "OUTBOX_RELAY_ENABLED")
            .defaultValue(false)
            .description("Runs an embedded relay in the application, started and stopped with it. Its database role"
                    + " needs the grants of `outbox_relay`; it holds one connection of the pool while it runs.")
            .build();
    public static final Setting<String> TRANSPORT = Setting.text("transport.name", "OUTBOX_TRANSPORT_NAME")
            .notBlank()
            .description("The relay's transport by name (`kafka`, `rabbitmq`, …: its artifact must be on the class"
                    + " path), configured by the other `outbox.transport.*` keys. Not used when the application"
                    + " defines a `Transport` bean.")
            .build();
    public static final ConfigModel MODEL = ConfigModel.of("spring", List.of(RELAY_ENABLED, TRANSPORT));

    private static final Pattern ENV_NAME = Pattern.compile("\\bOUTBOX_[A-Z0-9_]+\\b");
    private static final ConfigurationPropertyName RELAY = ConfigurationPropertyName.of("outbox.relay");
    private static final ConfigurationPropertyName TRANSPORTS = ConfigurationPropertyName.of("outbox.transport");

    private final Environment environment;
    private final Binder binder;
    private final List<TransportFactory> transports;

    /**
     * @param transports the transports the application can run (normally {@link #installedTransports})
     * @throws OutboxException if a key under {@code outbox.relay} or {@code outbox.transport} is not declared
     */
    public SpringConfig(Environment environment, List<TransportFactory> transports) {
        this.environment = environment;
        this.binder = Binder.get(environment);
        this.transports = List.copyOf(transports);
        rejectUndeclaredKeys();
    }

    /** The transports on the application's class path, found as the sidecar finds them. */
    public static List<TransportFactory> installedTransports(ClassLoader loader) {
        List<TransportFactory> found = new ArrayList<>();
        ServiceLoader.load(TransportFactory.class, loader).forEach(found::add);
        return found;
    }

    /** The Spring key of a relay setting: {@code outbox.relay.batch-size}; the schema is {@code outbox.schema}. */
    public static String key(Setting<?> setting) {
        // One schema for the writer, the inbox and the relay: they must agree.
        return setting == RelayConfig.SCHEMA ? PREFIX + "schema" : PREFIX + kebab(setting.property());
    }

    /** The Spring key of a transport setting: {@code outbox.transport.kafka.client-id}. */
    public static String transportKey(Setting<?> setting) {
        return TRANSPORT_PREFIX + kebab(setting.property());
    }

    /** {@code relay.batchSize} → {@code relay.batch-size}. */
    static String kebab(String property) {
        StringBuilder out = new StringBuilder(property.length() + 4);
        for (char c : property.toCharArray()) {
            if (Character.isUpperCase(c)) {
                out.append('-').append(Character.toLowerCase(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** {@code outbox.schema}, validated as the relay validates it. */
    public String schema() {
        return read(ConfigModel.of("schema", List.of(RelayConfig.SCHEMA)), SpringConfig::key).get(RelayConfig.SCHEMA);
    }

    public boolean relayEnabled() {
        return starter().get(RELAY_ENABLED);
    }

    /** The relay's configuration from {@code outbox.relay.*} and {@code outbox.schema}. */
    public RelayConfig relayConfig() {
        return RelayConfig.of(read(RelayConfig.MODEL, SpringConfig::key));
    }

    /** Whether any {@code outbox.transport.*} key is set. */
    public boolean transportConfigured() {
        return !keysUnder(TRANSPORTS).isEmpty();
    }

    /**
     * The transport {@code outbox.transport.name} names, configured by the other
     * {@code outbox.transport.*} keys.
     *
     * @throws OutboxException naming the key, the rule and the value (never a secret's)
     */
    public Transport transport() {
        String name = starter().find(TRANSPORT).orElseThrow(() -> new OutboxException(key(TRANSPORT)
                + " is required when " + key(RELAY_ENABLED) + " is true: the relay's transport, one of "
                + names(transports) + " (or define a Transport bean)"));
        TransportFactory factory = transports.stream().filter(t -> t.name().equals(name)).findFirst()
                .orElseThrow(() -> new OutboxException(key(TRANSPORT) + " must be one of the transports on the class path: "
                        + names(transports) + " (was \"" + name + "\"); " + unknownTransportHint(name)));
        ConfigValues values = read(factory.config(), SpringConfig::transportKey);
        try {
            return factory.create(values);
        } catch (OutboxException e) {
            throw new OutboxException(springNames(e.getMessage(), factory.config(), SpringConfig::transportKey), e);
        }
    }

    private ConfigValues starter() {
        return read(MODEL, SpringConfig::key);
    }

    /** The model's values from the environment, each problem named by its Spring key. */
    private ConfigValues read(ConfigModel model, Function<Setting<?>, String> keyOf) {
        Map<String, String> raw = new HashMap<>();
        for (Setting<?> s : model.settings()) {
            binder.bind(keyOf.apply(s), String.class).ifBound(v -> raw.put(s.env(), v));
        }
        List<String> problems = new ArrayList<>();
        return ConfigReader.read(model, raw, problems).orElseThrow(() -> new OutboxException(
                springNames(String.join("; ", problems), model, keyOf)));
    }

    /** {@code message} with the model's environment names ({@code OUTBOX_BATCH_SIZE}) replaced by Spring keys. */
    private static String springNames(String message, ConfigModel model, Function<Setting<?>, String> keyOf) {
        Map<String, String> names = new HashMap<>();
        model.settings().forEach(s -> names.put(s.env(), keyOf.apply(s)));
        Matcher m = ENV_NAME.matcher(message);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(names.getOrDefault(m.group(), m.group())));
        }
        return m.appendTail(out).toString();
    }

    private void rejectUndeclaredKeys() {
        Map<ConfigurationPropertyName, String> declared = new LinkedHashMap<>();
        MODEL.settings().forEach(s -> declared.put(ConfigurationPropertyName.of(key(s)), key(s)));
        RelayConfig.MODEL.settings().forEach(s -> declared.put(ConfigurationPropertyName.of(key(s)), key(s)));
        for (TransportFactory t : transports) {
            t.config().settings().forEach(s -> declared.put(ConfigurationPropertyName.of(transportKey(s)), transportKey(s)));
        }
        List<String> problems = new ArrayList<>();
        for (ConfigurationPropertyName name : keysUnder(RELAY, TRANSPORTS)) {
            if (!declared.containsKey(name)) {
                String suggestion = ConfigReader.closest(name.toString(), declared.values());
                problems.add(name + " is not a setting of the outbox starter" + (suggestion == null ? ""
                        : " (did you mean " + suggestion + "?)") + "; the settings are listed in the README and in"
                        + " the IDE's completion");
            }
        }
        if (!problems.isEmpty()) {
            throw new OutboxException(String.join("; ", problems));
        }
    }

    /** The names of the properties set under {@code parents}, from every source of the environment. */
    private Set<ConfigurationPropertyName> keysUnder(ConfigurationPropertyName... parents) {
        Set<ConfigurationPropertyName> found = new TreeSet<>();
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
            if (source instanceof IterableConfigurationPropertySource iterable) {
                iterable.stream().filter(n -> List.of(parents).stream().anyMatch(p -> p.isAncestorOf(n)))
                        .forEach(found::add);
            }
        }
        return found;
    }

    private String unknownTransportHint(String name) {
        String close = ConfigReader.closest(name, transports.stream().map(TransportFactory::name).toList());
        return close != null ? "did you mean " + close + "?"
                : "add its artifact (dev.outbox:outbox-transport-" + name + " if it is a built-in one) to the dependencies";
    }

    private static String names(List<TransportFactory> transports) {
        return transports.isEmpty() ? "(none on the class path)"
                : String.join(", ", transports.stream().map(TransportFactory::name).sorted().toList());
    }
}
