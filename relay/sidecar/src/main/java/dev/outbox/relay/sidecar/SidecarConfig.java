package dev.outbox.relay.sidecar;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.config.Durations;
import dev.outbox.relay.spi.TransportConfig;
import dev.outbox.relay.spi.TransportFactory;
import java.io.IOException;
import java.io.Reader;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sidecar's validated, immutable settings, read from environment variables and an optional
 * properties file that uses the same key names ({@code OUTBOX_BATCH_SIZE=100}); the environment
 * overrides the file. Built once by {@code relay run} with {@link #load}.
 *
 * <p>Failure: {@link #load} throws a {@link ConfigurationException} listing every problem (unknown
 * key with a suggestion, bad value, conflict, missing required value), each naming the key, the
 * rule and the value. Secret values (passwords, transport secrets) never appear in messages,
 * {@link #describe()} or {@link #toString()}.
 */
public final class SidecarConfig {
    public static final String CONFIG_FILE = "OUTBOX_CONFIG_FILE";
    public static final String JDBC_URL = "OUTBOX_JDBC_URL";
    public static final String JDBC_USER = "OUTBOX_JDBC_USER";
    public static final String JDBC_PASSWORD = "OUTBOX_JDBC_PASSWORD";
    public static final String TRANSPORT = "OUTBOX_TRANSPORT";
    public static final String HTTP_ENABLED = "OUTBOX_HTTP_ENABLED";
    public static final String HTTP_HOST = "OUTBOX_HTTP_HOST";
    public static final String HTTP_PORT = "OUTBOX_HTTP_PORT";
    public static final String LOG_FORMAT = "OUTBOX_LOG_FORMAT";
    public static final String LOG_LEVEL = "OUTBOX_LOG_LEVEL";
    public static final String POOL_SIZE = "OUTBOX_POOL_SIZE";
    /** Keys with this prefix belong to the test suite and are ignored. */
    public static final String TEST_PREFIX = "OUTBOX_TEST_";
    /** Suffix of the key variant whose value is the path of a file holding the secret. */
    public static final String FILE_SUFFIX = "_FILE";
    public static final String DEFAULT_TRANSPORT = "log";
    static final String MASK = "****";
    static final int MIN_DERIVED_SECRET = 8;

    private static final String PREFIX = "OUTBOX_";
    private static final Pattern RELAY_PROPERTY = Pattern.compile("relay\\.([A-Za-z]+)");
    private static final Pattern URL_PASSWORD = Pattern.compile("(?i)([?&;][^=&;]*password=)[^&;]*");
    /** {@code scheme://userinfo@}: user and password, or a token (NATS, Redis). */
    private static final Pattern URL_USERINFO = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://)([^/?#@\\s,]*)@");
    /** A query parameter's value, up to the next parameter, fragment, blank or list comma. */
    private static final Pattern URL_QUERY_VALUE = Pattern.compile("([?&;][^=&;#\\s,]*=)[^&;#\\s,]*");
    /** The host list of a JDBC URL: {@code jdbc:postgresql://h1[:p1],h2[:p2]/…}. */
    private static final Pattern JDBC_HOSTS = Pattern.compile("jdbc:postgresql://([^/?]*)(.*)", Pattern.DOTALL);
    private static final Pattern SHOWN_PORT = Pattern.compile("[\\w.-]{1,16}");
    /** URL parameters whose values pgjdbc checks only when it connects; checked here so a typo is a configuration error. */
    private static final List<String> CHECKED_URL_PARAMETERS = List.of("sslmode");

    /** One key per {@link RelayConfig} property; the property name maps error messages back to the key. */
    private static final List<RelayKey> RELAY_KEYS = List.of(
            RelayKey.text("OUTBOX_SCHEMA", "schema", RelayConfig::schema, RelayConfig.Builder::schema),
            RelayKey.text("OUTBOX_INSTANCE_NAME", "instanceName", RelayConfig::instanceName,
                    RelayConfig.Builder::instanceName),
            RelayKey.integer("OUTBOX_BATCH_SIZE", "batchSize", RelayConfig::batchSize, RelayConfig.Builder::batchSize),
            RelayKey.integer("OUTBOX_BATCH_MAX_BYTES", "batchMaxBytes", RelayConfig::batchMaxBytes,
                    RelayConfig.Builder::batchMaxBytes),
            RelayKey.duration("OUTBOX_MIN_POLL_INTERVAL", "minPollInterval", RelayConfig::minPollInterval,
                    RelayConfig.Builder::minPollInterval),
            RelayKey.duration("OUTBOX_MAX_POLL_INTERVAL", "maxPollInterval", RelayConfig::maxPollInterval,
                    RelayConfig.Builder::maxPollInterval),
            RelayKey.bool("OUTBOX_LISTEN_NOTIFY", "listenNotify", RelayConfig::listenNotify,
                    RelayConfig.Builder::listenNotify),
            RelayKey.integer("OUTBOX_MAX_ATTEMPTS", "maxAttempts", RelayConfig::maxAttempts,
                    RelayConfig.Builder::maxAttempts),
            RelayKey.integer("OUTBOX_MAX_NON_RETRYABLE_ATTEMPTS", "maxNonRetryableAttempts",
                    RelayConfig::maxNonRetryableAttempts, RelayConfig.Builder::maxNonRetryableAttempts),
            RelayKey.duration("OUTBOX_BACKOFF_BASE", "backoffBase", RelayConfig::backoffBase,
                    RelayConfig.Builder::backoffBase),
            RelayKey.duration("OUTBOX_BACKOFF_CAP", "backoffCap", RelayConfig::backoffCap,
                    RelayConfig.Builder::backoffCap),
            RelayKey.duration("OUTBOX_SEND_TIMEOUT", "sendTimeout", RelayConfig::sendTimeout,
                    RelayConfig.Builder::sendTimeout),
            RelayKey.duration("OUTBOX_SHUTDOWN_TIMEOUT", "shutdownTimeout", RelayConfig::shutdownTimeout,
                    RelayConfig.Builder::shutdownTimeout),
            RelayKey.duration("OUTBOX_RETENTION", "retention", RelayConfig::retention, RelayConfig.Builder::retention),
            RelayKey.duration("OUTBOX_PURGE_INTERVAL", "purgeInterval", RelayConfig::purgeInterval,
                    RelayConfig.Builder::purgeInterval),
            RelayKey.integer("OUTBOX_PURGE_BATCH_SIZE", "purgeBatchSize", RelayConfig::purgeBatchSize,
                    RelayConfig.Builder::purgeBatchSize),
            RelayKey.duration("OUTBOX_REBALANCE_INTERVAL", "rebalanceInterval", RelayConfig::rebalanceInterval,
                    RelayConfig.Builder::rebalanceInterval));

    private static final Set<String> SIDECAR_KEYS = Set.of(CONFIG_FILE, JDBC_URL, JDBC_USER, JDBC_PASSWORD,
            JDBC_PASSWORD + FILE_SUFFIX, TRANSPORT, HTTP_ENABLED, HTTP_HOST, HTTP_PORT, LOG_FORMAT, LOG_LEVEL, POOL_SIZE);

    /** Log line format of the sidecar. */
    public enum LogFormat { TEXT, JSON }

    private final String jdbcUrl;
    private final String jdbcUser;
    private final String jdbcPassword;
    private final TransportFactory transport;
    private final TransportConfig transportConfig;
    private final RelayConfig relayConfig;
    private final boolean httpEnabled;
    private final String httpHost;
    private final int httpPort;
    private final LogFormat logFormat;
    private final Level logLevel;
    private final int poolSize;
    private final Map<String, String> settings;
    private final List<String> secretValues;

    private SidecarConfig(Parser p) {
        this.jdbcUrl = p.jdbcUrl;
        this.jdbcUser = p.jdbcUser;
        this.jdbcPassword = p.jdbcPassword;
        this.transport = p.transport;
        this.transportConfig = new TransportConfig(p.transportValues);
        this.relayConfig = p.relayConfig;
        this.httpEnabled = p.httpEnabled;
        this.httpHost = p.httpHost;
        this.httpPort = p.httpPort;
        this.logFormat = p.logFormat;
        this.logLevel = p.logLevel;
        this.poolSize = p.poolSize;
        this.settings = Collections.unmodifiableMap(new TreeMap<>(p.settings));
        this.secretValues = List.copyOf(p.secretValues);
    }

    /**
     * Reads and validates the configuration.
     *
     * @param env the process environment; only {@code OUTBOX_*} entries are read
     * @param configFile the {@code --config} file, or {@code null} to use {@code OUTBOX_CONFIG_FILE} if set
     * @param transports the installed transports ({@link java.util.ServiceLoader} in production)
     * @throws ConfigurationException listing every problem found
     */
    public static SidecarConfig load(Map<String, String> env, Path configFile, List<TransportFactory> transports) {
        Parser parser = new Parser(transports);
        parser.parse(env, configFile);
        if (!parser.problems.isEmpty()) {
            throw new ConfigurationException(parser.problems.stream()
                    .map(problem -> redact(problem, parser.secretValues)).toList());
        }
        return new SidecarConfig(parser);
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    /** The database user, or {@code null} to take it from the URL. */
    public String jdbcUser() {
        return jdbcUser;
    }

    /** The database password (a secret: never log it), or {@code null}. */
    String jdbcPassword() {
        return jdbcPassword;
    }

    public TransportFactory transport() {
        return transport;
    }

    /** The selected transport's keys, secrets read from their {@code _FILE} variants. Never log it. */
    public TransportConfig transportConfig() {
        return transportConfig;
    }

    public RelayConfig relayConfig() {
        return relayConfig;
    }

    public boolean httpEnabled() {
        return httpEnabled;
    }

    public String httpHost() {
        return httpHost;
    }

    /** The HTTP port; 0 picks any free port. */
    public int httpPort() {
        return httpPort;
    }

    public LogFormat logFormat() {
        return logFormat;
    }

    public Level logLevel() {
        return logLevel;
    }

    public int poolSize() {
        return poolSize;
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
     * {@code message} with every configured secret value replaced by {@code ****}: for messages of
     * components (a transport factory, a client library's log) that might quote a value back.
     * Secrets are the values of secret keys and, of every other key, the credentials its URLs
     * carry (a {@code user:password@} or token, query parameter values) of at least
     * {@value #MIN_DERIVED_SECRET} characters: a shorter one ({@code ?format=json}) is more likely a
     * setting than a credential, and masking it everywhere would garble the log.
     */
    public String redact(String message) {
        return redact(message, secretValues);
    }

    private static String redact(String message, List<String> secrets) {
        String result = message == null ? "" : message;
        for (String secret : secrets) {
            if (!secret.isEmpty()) {
                result = result.replace(secret, MASK);
            }
        }
        return result;
    }

    /** The URL with the value of any {@code password=} parameter replaced by {@code ****}. */
    static String maskUrl(String url) {
        return URL_PASSWORD.matcher(url).replaceAll("$1" + Matcher.quoteReplacement(MASK));
    }

    /**
     * {@code text} with every URL's credentials masked, whatever the key: the password (or token) of
     * {@code scheme://user:password@} and the value of every query parameter ({@code ?token=…}).
     * For values of keys not declared secret that may still carry one (broker and webhook URLs).
     */
    static String maskUrls(String text) {
        Matcher userInfo = URL_USERINFO.matcher(text);
        StringBuilder masked = new StringBuilder();
        while (userInfo.find()) {
            String info = userInfo.group(2);
            int colon = info.indexOf(':');
            String shown = colon < 0 ? MASK : info.substring(0, colon + 1) + MASK;
            userInfo.appendReplacement(masked, Matcher.quoteReplacement(userInfo.group(1) + shown + "@"));
        }
        userInfo.appendTail(masked);
        if (!masked.toString().contains("://")) {
            return masked.toString();
        }
        return URL_QUERY_VALUE.matcher(masked).replaceAll("$1" + Matcher.quoteReplacement(MASK));
    }

    /**
     * Why pgjdbc would refuse {@code url}, or {@code null}: checked here because the driver's own
     * refusal ({@code IllegalArgumentException: URL invalid <url>}) quotes the URL with its password.
     */
    static String jdbcUrlProblem(String url) {
        Matcher hosts = JDBC_HOSTS.matcher(url);
        if (hosts.matches()) {
            if (hosts.group(1).contains("@")) {
                return "must not hold user:password@ (the driver does not read it): use ?user=…&password=… or "
                        + JDBC_USER + " and " + JDBC_PASSWORD;
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

    /** Edit distance, for "did you mean" suggestions. */
    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /** One pass over the raw values, collecting problems instead of stopping at the first. */
    private static final class Parser {
        private final Map<String, TransportFactory> installed = new TreeMap<>();
        private final List<String> problems = new ArrayList<>();
        private final Map<String, String> settings = new LinkedHashMap<>();
        private final List<String> secretValues = new ArrayList<>();
        private final Map<String, String> transportValues = new TreeMap<>();
        private Map<String, String> values = Map.of();
        /** The same values, with the typed getters transports use. */
        private TransportConfig typed = new TransportConfig(Map.of());

        private String jdbcUrl;
        private String jdbcUser;
        private String jdbcPassword;
        private TransportFactory transport;
        private RelayConfig relayConfig;
        private boolean httpEnabled;
        private String httpHost;
        private int httpPort;
        private LogFormat logFormat;
        private Level logLevel;
        private int poolSize;

        Parser(List<TransportFactory> transports) {
            for (TransportFactory f : transports) {
                installed.putIfAbsent(f.name(), f);
            }
        }

        void parse(Map<String, String> env, Path configFile) {
            Map<String, String> merged = new TreeMap<>();
            Path file = configFile;
            String fileKey = "--config";
            if (file == null && env.get(CONFIG_FILE) != null && !env.get(CONFIG_FILE).isBlank()) {
                file = Path.of(env.get(CONFIG_FILE).trim());
                fileKey = CONFIG_FILE;
            }
            if (file != null) {
                merged.putAll(readProperties(fileKey, file));
                settings.put(CONFIG_FILE, file.toString());
            }
            // The environment overrides the file, key by key.
            env.forEach((k, v) -> {
                if (k.startsWith(PREFIX) && v != null) {
                    merged.put(k, v);
                }
            });
            merged.keySet().removeIf(k -> k.startsWith(TEST_PREFIX));
            values = merged;
            typed = new TransportConfig(merged);

            selectTransport();
            checkKeys();
            jdbc();
            relay();
            http();
            logging();
            poolSize = integer(POOL_SIZE, 3, 2, 20);
            transportKeys();
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

        private void selectTransport() {
            String name = value(TRANSPORT);
            name = name == null ? DEFAULT_TRANSPORT : name.trim();
            transport = installed.get(name);
            settings.put(TRANSPORT, name);
            if (transport == null) {
                problems.add(TRANSPORT + " must be one of the installed transports: "
                        + String.join(", ", installed.keySet()) + " (was \"" + name + "\")");
            }
        }

        /** Every OUTBOX_ key must be known; keys of another transport are a conflict, not a typo. */
        private void checkKeys() {
            Set<String> known = new TreeSet<>(SIDECAR_KEYS);
            RELAY_KEYS.forEach(k -> known.add(k.key()));
            if (transport != null) {
                known.addAll(transportKeys(transport));
            }
            Map<String, String> owners = new TreeMap<>();
            for (TransportFactory other : installed.values()) {
                if (other != transport) {
                    transportKeys(other).forEach(k -> owners.putIfAbsent(k, other.name()));
                }
            }
            for (String key : values.keySet()) {
                if (known.contains(key)) {
                    continue;
                }
                String owner = owners.get(key);
                if (owner != null) {
                    if (transport != null) {
                        problems.add(key + " belongs to transport " + owner + ", which conflicts with " + TRANSPORT
                                + "=" + transport.name() + ": remove " + key + " or set " + TRANSPORT + "=" + owner);
                    }
                    continue;
                }
                String suggestion = closest(key, known);
                problems.add("unknown configuration key " + key
                        + (suggestion == null ? "" : " (did you mean " + suggestion + "?)"));
            }
        }

        private static Set<String> transportKeys(TransportFactory f) {
            Set<String> keys = new TreeSet<>(f.configKeys());
            for (String secret : f.secretKeys()) {
                keys.add(secret);
                keys.add(secret + FILE_SUFFIX);
            }
            return keys;
        }

        private static String closest(String key, Set<String> known) {
            String best = null;
            int bestDistance = Integer.MAX_VALUE;
            for (String candidate : known) {
                int d = distance(key, candidate);
                if (d < bestDistance) {
                    best = candidate;
                    bestDistance = d;
                }
            }
            // A far-off "suggestion" misleads more than none.
            return bestDistance <= Math.max(3, key.length() / 3) ? best : null;
        }

        private void jdbc() {
            String url = value(JDBC_URL);
            if (url == null || url.isBlank()) {
                problems.add(JDBC_URL + " is required (e.g. jdbc:postgresql://db:5432/app)");
            } else if (!url.trim().startsWith("jdbc:postgresql:")) {
                problems.add(JDBC_URL + " must start with jdbc:postgresql: (was \"" + maskUrls(maskUrl(url)) + "\")");
            } else {
                String trimmed = url.trim();
                Matcher password = URL_PASSWORD.matcher(trimmed);
                while (password.find()) {
                    secretValues.add(trimmed.substring(password.end(1), password.end()));
                }
                String problem = jdbcUrlProblem(trimmed);
                if (problem != null) {
                    problems.add(JDBC_URL + " " + problem);
                } else {
                    jdbcUrl = trimmed;
                    settings.put(JDBC_URL, maskUrl(jdbcUrl));
                }
            }
            String user = value(JDBC_USER);
            if (user != null && !user.isBlank()) {
                jdbcUser = user.trim();
                settings.put(JDBC_USER, jdbcUser);
            }
            jdbcPassword = secret(JDBC_PASSWORD);
            if (jdbcPassword != null) {
                settings.put(JDBC_PASSWORD, MASK);
            }
        }

        /** A secret from KEY or from the file named by KEY_FILE (content trimmed); never both. */
        private String secret(String key) {
            String direct = values.get(key);
            String path = values.get(key + FILE_SUFFIX);
            if (direct != null) {
                secretValues.add(direct);
            }
            if (direct != null && path != null) {
                problems.add(key + " and " + key + FILE_SUFFIX + " are both set: use one of them");
                return null;
            }
            if (path == null) {
                return direct;
            }
            try {
                String content = Files.readString(Path.of(path.trim()), StandardCharsets.UTF_8).trim();
                secretValues.add(content);
                return content;
            } catch (IOException | RuntimeException e) {
                problems.add(key + FILE_SUFFIX + ": cannot read the secret file " + path.trim()
                        + " (" + e.getClass().getSimpleName() + ")");
                return null;
            }
        }

        private void relay() {
            RelayConfig.Builder builder = RelayConfig.builder();
            int before = problems.size();
            for (RelayKey k : RELAY_KEYS) {
                String raw = value(k.key());
                if (raw != null) {
                    try {
                        k.apply(builder, raw);
                    } catch (OutboxException e) {
                        problems.add(translate(e.getMessage()));
                    }
                }
            }
            if (problems.size() > before) {
                return; // cross-field rules would compare against values that were rejected
            }
            try {
                relayConfig = builder.build();
                for (RelayKey k : RELAY_KEYS) {
                    settings.put(k.key(), k.show(relayConfig));
                }
            } catch (OutboxException e) {
                problems.add(translate(e.getMessage()));
            }
        }

        /** Engine messages name properties ({@code relay.batchSize}); users know the keys. */
        private static String translate(String message) {
            Matcher m = RELAY_PROPERTY.matcher(message);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String key = RELAY_KEYS.stream().filter(k -> k.property().equals(m.group(1)))
                        .map(RelayKey::key).findFirst().orElse(m.group());
                m.appendReplacement(out, Matcher.quoteReplacement(key));
            }
            m.appendTail(out);
            return out.toString();
        }

        private void http() {
            httpEnabled = bool(HTTP_ENABLED, true);
            String host = value(HTTP_HOST);
            if (host != null && host.isBlank()) {
                problems.add(HTTP_HOST + " must not be blank (was \"" + host + "\")");
            }
            httpHost = host == null || host.isBlank() ? "0.0.0.0" : host.trim();
            settings.put(HTTP_HOST, httpHost);
            httpPort = integer(HTTP_PORT, 9400, 0, 65535);
        }

        private void logging() {
            String format = value(LOG_FORMAT);
            logFormat = LogFormat.TEXT;
            if (format != null) {
                switch (format.trim()) {
                    case "text" -> logFormat = LogFormat.TEXT;
                    case "json" -> logFormat = LogFormat.JSON;
                    default -> problems.add(LOG_FORMAT + " must be text or json (was \"" + format + "\")");
                }
            }
            settings.put(LOG_FORMAT, logFormat.name().toLowerCase(Locale.ROOT));
            String level = value(LOG_LEVEL);
            logLevel = Level.INFO;
            if (level != null) {
                switch (level.trim().toUpperCase(Locale.ROOT)) {
                    case "DEBUG" -> logLevel = Level.DEBUG;
                    case "INFO" -> logLevel = Level.INFO;
                    case "WARN" -> logLevel = Level.WARNING;
                    case "ERROR" -> logLevel = Level.ERROR;
                    default -> problems.add(LOG_LEVEL + " must be one of DEBUG, INFO, WARN, ERROR (was \"" + level + "\")");
                }
            }
            settings.put(LOG_LEVEL, logLevel == Level.WARNING ? "WARN" : logLevel.name());
        }

        private void transportKeys() {
            if (transport == null) {
                return;
            }
            Set<String> secrets = transport.secretKeys();
            for (String key : transport.configKeys()) {
                if (!secrets.contains(key) && values.containsKey(key)) {
                    transportValues.put(key, values.get(key));
                    settings.put(key, maskUrls(values.get(key)));
                    urlCredentials(values.get(key));
                }
            }
            for (String key : secrets) {
                String value = secret(key);
                if (value != null) {
                    transportValues.put(key, value);
                    settings.put(key, MASK);
                }
            }
        }

        private String value(String key) {
            return values.get(key);
        }

        /** Registers the credentials in the URLs of a value not declared secret (defense in depth, for {@link #redact}). */
        private void urlCredentials(String value) {
            Matcher userInfo = URL_USERINFO.matcher(value);
            while (userInfo.find()) {
                String info = userInfo.group(2);
                String secret = info.substring(info.indexOf(':') + 1);
                if (secret.length() >= MIN_DERIVED_SECRET) {
                    secretValues.add(secret);
                }
            }
            if (value.contains("://")) {
                Matcher query = URL_QUERY_VALUE.matcher(value);
                while (query.find()) {
                    String secret = value.substring(query.end(1), query.end());
                    if (secret.length() >= MIN_DERIVED_SECRET) {
                        secretValues.add(secret);
                    }
                }
            }
        }

        private int integer(String key, int defaultValue, int min, int max) {
            int result = defaultValue;
            try {
                result = typed.getInt(key, defaultValue, min, max);
            } catch (OutboxException e) {
                problems.add(e.getMessage());
            }
            settings.put(key, String.valueOf(result));
            return result;
        }

        private boolean bool(String key, boolean defaultValue) {
            boolean result = defaultValue;
            try {
                result = typed.getBoolean(key, defaultValue);
            } catch (OutboxException e) {
                problems.add(e.getMessage());
            }
            settings.put(key, String.valueOf(result));
            return result;
        }
    }

    /** An env key bound to one {@link RelayConfig.Builder} setter. */
    private record RelayKey(String key, String property, BiConsumer<RelayConfig.Builder, String> setter,
                            Function<RelayConfig, String> shown) {

        void apply(RelayConfig.Builder builder, String raw) {
            setter.accept(builder, raw);
        }

        String show(RelayConfig config) {
            return shown.apply(config);
        }

        static RelayKey text(String key, String property, Function<RelayConfig, String> getter,
                             BiConsumer<RelayConfig.Builder, String> setter) {
            return new RelayKey(key, property, (b, raw) -> setter.accept(b, raw.trim()), getter);
        }

        static RelayKey integer(String key, String property, Function<RelayConfig, Integer> getter,
                                BiConsumer<RelayConfig.Builder, Integer> setter) {
            return new RelayKey(key, property, (b, raw) -> setter.accept(b, TransportConfig.parseInt(key, raw)),
                    c -> String.valueOf(getter.apply(c)));
        }

        static RelayKey duration(String key, String property, Function<RelayConfig, Duration> getter,
                                 BiConsumer<RelayConfig.Builder, Duration> setter) {
            return new RelayKey(key, property, (b, raw) -> setter.accept(b, Durations.parse(key, raw)),
                    c -> Durations.format(getter.apply(c)));
        }

        static RelayKey bool(String key, String property, Function<RelayConfig, Boolean> getter,
                             BiConsumer<RelayConfig.Builder, Boolean> setter) {
            return new RelayKey(key, property, (b, raw) -> setter.accept(b, TransportConfig.parseBoolean(key, raw)),
                    c -> String.valueOf(getter.apply(c)));
        }
    }
}
