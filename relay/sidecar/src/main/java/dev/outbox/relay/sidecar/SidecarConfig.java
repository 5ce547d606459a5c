package dev.outbox.relay.sidecar;

import static dev.outbox.relay.config.Setting.between;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigReader;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.config.Redaction;
import dev.outbox.relay.config.Setting;
import dev.outbox.relay.spi.TransportFactory;
import java.io.IOException;
import java.io.Reader;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sidecar's validated, immutable settings, read from environment variables and an optional
 * properties file that uses the same key names ({@code OUTBOX_BATCH_SIZE=100}); the environment
 * overrides the file. Built once per command with {@link #load}. The keys are declared once: the
 * sidecar's own in {@link #MODEL}, the engine's in {@link RelayConfig#MODEL}, each transport's in
 * its {@link TransportFactory#config()}; this class only merges sources, selects the transport,
 * rejects unknown keys and collects the problems.
 *
 * <p>Failure: {@link #load} throws a {@link ConfigurationException} listing every problem (unknown
 * key with a suggestion, bad value, conflict, missing required value), each naming the key, the
 * rule and the value. Secret values (passwords, transport secrets) never appear in messages,
 * {@link #describe()} or {@link #toString()}.
 */
public final class SidecarConfig {
    /** Keys with this prefix belong to the test suite and are ignored. */
    public static final String TEST_PREFIX = "OUTBOX_TEST_";
    public static final String DEFAULT_TRANSPORT = "log";
    private static final String PREFIX = "OUTBOX_";
    /** The host list of a JDBC URL: {@code jdbc:postgresql://h1[:p1],h2[:p2]/…}. */
    private static final Pattern JDBC_HOSTS = Pattern.compile("jdbc:postgresql://([^/?]*)(.*)", Pattern.DOTALL);
    private static final Pattern SHOWN_PORT = Pattern.compile("[\\w.-]{1,16}");
    /** URL parameters whose values pgjdbc checks only when it connects; checked here so a typo is a configuration error. */
    private static final List<String> CHECKED_URL_PARAMETERS = List.of("sslmode");

    /** Log line format of the sidecar. */
    public enum LogFormat { TEXT, JSON }

    public static final Setting<String> CONFIG_FILE = Setting.text("sidecar.configFile", "OUTBOX_CONFIG_FILE")
            .description("A properties file with any of these keys; the environment overrides it (or `--config`).")
            .build();
    public static final Setting<String> JDBC_URL = Setting.text("sidecar.jdbcUrl", "OUTBOX_JDBC_URL").required()
            .check(SidecarConfig::jdbcUrlProblem).shownType("jdbc:postgresql://…")
            .description("`jdbc:postgresql://host:5432/db`; the role needs the grants of `outbox_relay`. A `password=` parameter is never shown.")
            .build();
    public static final Setting<String> JDBC_USER = Setting.text("sidecar.jdbcUser", "OUTBOX_JDBC_USER")
            .description("Database user, if not in the URL.").build();
    public static final Setting<String> JDBC_PASSWORD = Setting.text("sidecar.jdbcPassword", "OUTBOX_JDBC_PASSWORD")
            .secret().description("Database password, if not in the URL.").build();
    public static final Setting<String> TRANSPORT = Setting.text("sidecar.transport", "OUTBOX_TRANSPORT")
            .defaultValue(DEFAULT_TRANSPORT)
            .description("Transport name (`log`, `kafka`, `rabbitmq`, `nats`, `redis`, `http`, `eventbridge`, `pubsub`, `sqs` or your own); an unknown one is an error listing the installed ones.").build();
    public static final Setting<Boolean> HTTP_ENABLED = Setting.bool("sidecar.httpEnabled", "OUTBOX_HTTP_ENABLED")
            .defaultValue(true).description("Serve `/health`, `/ready`, `/metrics` and the console, `/console`.").build();
    public static final Setting<String> HTTP_HOST = Setting.text("sidecar.httpHost", "OUTBOX_HTTP_HOST")
            .defaultValue("0.0.0.0").notBlank().description("Address the HTTP endpoints listen on.").build();
    public static final Setting<Integer> HTTP_PORT = Setting.integer("sidecar.httpPort", "OUTBOX_HTTP_PORT")
            .defaultValue(9400).check(between(0, 65535)).description("Port of the HTTP endpoints; 0 picks a free one.")
            .build();
    public static final Setting<String> LOG_FORMAT = Setting.choice("sidecar.logFormat", "OUTBOX_LOG_FORMAT",
            List.of("text", "json")).defaultValue("text").description("`json` writes one JSON object per line (with `event_id`, `trace_id` where relevant).")
            .build();
    public static final Setting<String> LOG_LEVEL = Setting.choice("sidecar.logLevel", "OUTBOX_LOG_LEVEL",
            List.of("DEBUG", "INFO", "WARN", "ERROR")).defaultValue("INFO").description("Lowest level logged.").build();
    public static final Setting<Integer> POOL_SIZE = Setting.integer("sidecar.poolSize", "OUTBOX_POOL_SIZE")
            .defaultValue(3).check(between(2, 20))
            .description("Connections of the sidecar (the relay holds one; HTTP checks use the others); the console adds up to 2 of its own.").build();
    public static final Setting<Boolean> CONSOLE_ENABLED = Setting.bool("sidecar.consoleEnabled", "OUTBOX_CONSOLE_ENABLED")
            .defaultValue(true).description("Serve the operator console at `/console` (with the HTTP endpoints); `false` answers 404 there.")
            .build();
    // A token, not a password hash: it is compared in constant time and never shown.
    public static final Setting<String> CONSOLE_TOKEN = Setting.text("sidecar.consoleToken", "OUTBOX_CONSOLE_TOKEN")
            .secret().check(Setting.Check.described("16 or more characters",
                    v -> v.length() < 16 ? "must have 16 or more characters (had " + v.length() + ")" : null))
            .description("Enables the console's actions (retry, discard, replay) for whoever presents it (bearer token or"
                    + " the console's login); without it the console is read-only.")
            .build();

    /** The sidecar's own settings. */
    public static final ConfigModel MODEL = ConfigModel.of("sidecar", List.of(CONFIG_FILE, JDBC_URL, JDBC_USER,
            JDBC_PASSWORD, TRANSPORT, HTTP_ENABLED, HTTP_HOST, HTTP_PORT, LOG_FORMAT, LOG_LEVEL, POOL_SIZE, CONSOLE_ENABLED,
            CONSOLE_TOKEN));

    private final ConfigValues sidecar;
    private final RelayConfig relayConfig;
    private final TransportFactory transport;
    private final ConfigValues transportValues;
    private final Map<String, String> settings;
    private final List<String> secretValues;

    private SidecarConfig(Parser p) {
        this.sidecar = p.sidecar;
        this.relayConfig = p.relayConfig;
        this.transport = p.transport;
        this.transportValues = p.transportValues;
        this.settings = Collections.unmodifiableMap(new TreeMap<>(p.settings));
        this.secretValues = List.copyOf(p.secretValues);
    }

    /**
     * Reads and validates the configuration.
     *
     * @param env the process environment; only {@code OUTBOX_*} entries are read
     * @param configFile the {@code --config} file, or {@code null} to use {@code OUTBOX_CONFIG_FILE} if set
     * @param transports the installed transports ({@link TransportPlugins#installed()} in production)
     * @throws ConfigurationException listing every problem found
     */
    public static SidecarConfig load(Map<String, String> env, Path configFile, List<TransportFactory> transports) {
        Parser parser = new Parser(transports);
        parser.parse(env, configFile);
        if (!parser.problems.isEmpty()) {
            throw new ConfigurationException(parser.problems.stream()
                    .map(problem -> Redaction.values(problem, parser.secretValues)).toList());
        }
        return new SidecarConfig(parser);
    }

    /** Every key the sidecar reads, with those of {@code transports}: for {@code run --help}. */
    public static String help(List<TransportFactory> transports) {
        StringBuilder text = new StringBuilder("sidecar:\n").append(MODEL.helpText())
                .append("relay:\n").append(RelayConfig.MODEL.helpText());
        for (TransportFactory t : transports) {
            if (!t.config().settings().isEmpty()) {
                text.append("transport ").append(t.name()).append(":\n").append(t.config().helpText());
            }
        }
        return text.toString();
    }

    public String jdbcUrl() {
        return sidecar.get(JDBC_URL);
    }

    /** The database user, or {@code null} to take it from the URL. */
    public String jdbcUser() {
        return sidecar.get(JDBC_USER);
    }

    /** The database password (a secret: never log it), or {@code null}. */
    String jdbcPassword() {
        return sidecar.get(JDBC_PASSWORD);
    }

    public TransportFactory transport() {
        return transport;
    }

    /** The selected transport's validated values, secrets read from their {@code _FILE} variants. Never log it. */
    public ConfigValues transportValues() {
        return transportValues;
    }

    public RelayConfig relayConfig() {
        return relayConfig;
    }

    public boolean httpEnabled() {
        return sidecar.get(HTTP_ENABLED);
    }

    public String httpHost() {
        return sidecar.get(HTTP_HOST);
    }

    /** The HTTP port; 0 picks any free port. */
    public int httpPort() {
        return sidecar.get(HTTP_PORT);
    }

    public LogFormat logFormat() {
        return sidecar.get(LOG_FORMAT).equals("json") ? LogFormat.JSON : LogFormat.TEXT;
    }

    public Level logLevel() {
        return switch (sidecar.get(LOG_LEVEL)) {
            case "DEBUG" -> Level.DEBUG;
            case "WARN" -> Level.WARNING;
            case "ERROR" -> Level.ERROR;
            default -> Level.INFO;
        };
    }

    public int poolSize() {
        return sidecar.get(POOL_SIZE);
    }

    public boolean consoleEnabled() {
        return sidecar.get(CONSOLE_ENABLED);
    }

    /** The console's token (a secret: never log it), or {@code null} for a read-only console. */
    String consoleToken() {
        return sidecar.get(CONSOLE_TOKEN);
    }

    /** Effective settings (defaults included), by key, secrets as {@code ****}. */
    public Map<String, String> settings() {
        return settings;
    }

    /** The effective settings on one line, {@code KEY=value …}, secrets as {@code ****}. Safe to log. */
    public String describe() {
        StringBuilder text = new StringBuilder();
        settings.forEach((k, v) -> text.append(text.length() == 0 ? "" : " ").append(k).append('=').append(v));
        // Settings are masked key by key already; this catches a secret that landed in another key.
        return redact(text.toString());
    }

    @Override
    public String toString() {
        return "SidecarConfig[" + describe() + "]";
    }

    /**
     * {@code message} with every configured secret replaced by {@code ****}: for messages of components (a transport factory, a client library's log) that might
     * quote a value back. Secrets are the values of secret keys and the credentials that URLs in
     * other keys carry ({@link Redaction#urlCredentials}).
     */
    public String redact(String message) {
        return Redaction.values(message, secretValues);
    }

    /**
     * Why pgjdbc would refuse {@code url}, or {@code null}: checked here because the driver's own
     * refusal ({@code IllegalArgumentException: URL invalid <url>}) quotes the URL with its password.
     */
    static String jdbcUrlProblem(String url) {
        if (!url.startsWith("jdbc:postgresql:")) {
            return "must start with jdbc:postgresql: (was \"" + Redaction.urls(Redaction.parameters(url)) + "\")";
        }
        Matcher hosts = JDBC_HOSTS.matcher(url);
        if (hosts.matches()) {
            if (hosts.group(1).contains("@")) {
                return "must not hold user:password@ (the driver does not read it): use ?user=…&password=… or "
                        + JDBC_USER.env() + " and " + JDBC_PASSWORD.env();
            }
            for (String host : hosts.group(1).split(",")) {
                int colon = host.lastIndexOf(':');
                if (colon < 0 || host.lastIndexOf(']') > colon) {
                    continue; // no port: the default, 5432
                }
                String port = host.substring(colon + 1);
                if (!port.matches("\\d{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                    return "port must be 1..65535 (was " + (SHOWN_PORT.matcher(port).matches() ? port : "not a number") + ")";
                }
            }
        }
        Properties parsed = org.postgresql.Driver.parseURL(url, null);
        if (parsed == null) {
            return "is not a PostgreSQL JDBC URL the driver can read: use"
                    + " jdbc:postgresql://host[:port][,host2[:port2]]/database[?name=value&…]";
        }
        for (String name : CHECKED_URL_PARAMETERS) {
            String value = parsed.getProperty(name);
            List<String> choices = List.of(org.postgresql.PGProperty.forName(name).getChoices());
            if (value != null && choices.stream().noneMatch(value::equalsIgnoreCase)) {
                return "parameter " + name + " must be one of " + String.join(", ", choices) + " (was \"" + value + "\")";
            }
        }
        return null;
    }

    /** One pass over the raw values, collecting problems instead of stopping at the first. */
    private static final class Parser {
        private final Map<String, TransportFactory> installed = new TreeMap<>();
        private final List<String> problems = new ArrayList<>();
        private final Map<String, String> settings = new LinkedHashMap<>();
        private final List<String> secretValues = new ArrayList<>();
        private ConfigValues sidecar;
        private RelayConfig relayConfig;
        private TransportFactory transport;
        private ConfigValues transportValues;

        Parser(List<TransportFactory> transports) {
            for (TransportFactory f : transports) {
                installed.putIfAbsent(f.name(), f);
            }
        }

        void parse(Map<String, String> env, Path configFile) {
            Map<String, String> values = new TreeMap<>();
            Path file = configFile;
            String fileKey = "--config";
            String named = env.get(CONFIG_FILE.env());
            if (file == null && named != null && !named.isBlank()) {
                file = Path.of(named.strip());
                fileKey = CONFIG_FILE.env();
            }
            if (file != null) {
                values.putAll(readProperties(fileKey, file));
            }
            // The environment overrides the file, key by key.
            env.forEach((k, v) -> {
                if (k.startsWith(PREFIX) && v != null) {
                    values.put(k, v);
                }
            });
            values.keySet().removeIf(k -> k.startsWith(TEST_PREFIX));
            if (file != null) {
                values.put(CONFIG_FILE.env(), file.toString());
            }
            String name = Optional.ofNullable(values.get(TRANSPORT.env())).map(String::strip).orElse(DEFAULT_TRANSPORT);
            transport = installed.get(name);
            if (transport == null) {
                problems.add(TRANSPORT.env() + " must be one of the installed transports: "
                        + String.join(", ", installed.keySet()) + " (was \"" + name + "\")");
            }
            List<ConfigModel> models = new ArrayList<>(List.of(MODEL, RelayConfig.MODEL));
            if (transport != null) {
                try {
                    models.add(transport.config());
                } catch (OutboxException e) { // a transport folder that cannot be loaded
                    problems.add(TRANSPORT.env() + "=" + transport.name() + ": " + e.getMessage());
                    transport = null;
                }
            }
            for (ConfigModel model : models) {
                secretValues.addAll(ConfigReader.secrets(model, values));
            }
            String jdbcUrl = values.get(JDBC_URL.env());
            if (jdbcUrl != null) {
                secretValues.addAll(Redaction.parameterValues(jdbcUrl));
            }
            checkKeys(values.keySet(), models);
            sidecar = read(MODEL, values);
            relayConfig = Optional.ofNullable(read(RelayConfig.MODEL, values)).map(RelayConfig::of).orElse(null);
            if (transport != null) {
                transportValues = read(transport.config(), values);
            }
        }

        private ConfigValues read(ConfigModel model, Map<String, String> values) {
            ConfigValues read = ConfigReader.read(model, values, problems).orElse(null);
            if (read != null) {
                secretValues.addAll(read.secrets());
                settings.putAll(read.shown());
            }
            return read;
        }

        private Map<String, String> readProperties(String key, Path file) {
            Properties properties = new Properties();
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                properties.load(reader);
            } catch (IOException | IllegalArgumentException e) {
                problems.add(key + ": cannot read the properties file " + file + " (" + e.getClass().getSimpleName() + ")");
                return Map.of();
            }
            Map<String, String> map = new TreeMap<>();
            for (String name : properties.stringPropertyNames()) {
                map.put(name, properties.getProperty(name));
            }
            return map;
        }

        /** Every OUTBOX_ key must be known; keys of another transport are a conflict, not a typo. */
        private void checkKeys(Set<String> present, List<ConfigModel> models) {
            Set<String> known = new TreeSet<>();
            models.forEach(m -> known.addAll(m.keys()));
            List<String> unknown = present.stream().filter(k -> !known.contains(k)).toList();
            if (unknown.isEmpty()) {
                return; // the usual case: no other transport's settings need loading
            }
            Map<String, String> owners = new TreeMap<>();
            for (TransportFactory other : installed.values()) {
                if (other != transport) {
                    try {
                        other.config().keys().forEach(k -> owners.putIfAbsent(k, other.name()));
                    } catch (OutboxException e) {
                        // a broken folder of a transport not selected: its keys stay unknown
                    }
                }
            }
            for (String key : unknown) {
                String owner = owners.get(key);
                if (owner != null) {
                    if (transport != null) {
                        problems.add(key + " belongs to transport " + owner + ", which conflicts with " + TRANSPORT.env()
                                + "=" + transport.name() + ": remove " + key + " or set " + TRANSPORT.env() + "=" + owner);
                    }
                    continue;
                }
                String suggestion = ConfigReader.closest(key, known);
                problems.add("unknown configuration key " + key
                        + (suggestion == null ? "" : " (did you mean " + suggestion + "?)"));
            }
        }
    }
}
