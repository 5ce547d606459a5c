package dev.outbox.relay.config;

import dev.outbox.core.OutboxException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads settings from environment variables or a properties file ({@code OUTBOX_BATCH_SIZE=100}):
 * the one adapter between text keys and a {@link ConfigModel}. Every problem is collected, each
 * naming the key, the rule and the value (a secret's value never), so that a user fixes them all
 * in one go.
 */
public final class ConfigReader {
    /** Suffix of the key whose value is the path of a file that holds a secret ({@code OUTBOX_JDBC_PASSWORD_FILE}). */
    public static final String FILE_SUFFIX = "_FILE";

    private ConfigReader() {
    }

    /**
     * The model's values from {@code raw}; problems are added to {@code problems}.
     *
     * @return the values, or empty if any of this model's settings had a problem
     */
    public static Optional<ConfigValues> read(ConfigModel model, Map<String, String> raw, List<String> problems) {
        int before = problems.size();
        Map<Setting<?>, Object> values = new LinkedHashMap<>();
        List<Setting<?>> given = new ArrayList<>();
        for (Setting<?> s : model.settings()) {
            String text = text(s, raw, problems);
            if (text != null) {
                given.add(s);
                try {
                    values.put(s, s.parse(text));
                } catch (IllegalArgumentException e) {
                    String problem = s.env() + " " + e.getMessage();
                    problems.add(s.secret() ? problem.replace(text, Redaction.MASK) : problem);
                }
            }
        }
        if (problems.size() > before) {
            // Rules would compare against values that were rejected; missing ones are still worth saying.
            problems.addAll(ConfigValues.missing(model, given, Naming.ENVIRONMENT));
            return Optional.empty();
        }
        problems.addAll(ConfigValues.problems(model, values, Naming.ENVIRONMENT));
        return problems.size() > before ? Optional.empty() : Optional.of(ConfigValues.of(model, values));
    }

    /**
     * The model's values from {@code raw}, for callers that handle one model (tests, embedders
     * reading their own properties).
     *
     * @throws OutboxException listing every problem, each naming the key, the rule and the value
     */
    public static ConfigValues require(ConfigModel model, Map<String, String> raw) {
        List<String> problems = new ArrayList<>();
        Optional<ConfigValues> values = read(model, raw, problems);
        if (values.isEmpty()) {
            throw new OutboxException(String.join("; ", problems));
        }
        return values.get();
    }

    /** The setting's text: the key's value, or for a secret the content of the {@code _FILE} it names (trimmed). */
    private static String text(Setting<?> s, Map<String, String> raw, List<String> problems) {
        String direct = raw.get(s.env());
        String path = s.secret() ? raw.get(s.env() + FILE_SUFFIX) : null;
        if (direct != null && path != null) {
            problems.add(s.env() + " and " + s.env() + FILE_SUFFIX + " are both set: use one of them");
            return null;
        }
        if (path == null) {
            return direct;
        }
        try {
            return Files.readString(Path.of(path.strip()), StandardCharsets.UTF_8).strip();
        } catch (IOException | RuntimeException e) {
            problems.add(s.env() + FILE_SUFFIX + ": cannot read the secret file " + path.strip() + " ("
                    + e.getClass().getSimpleName() + ")");
            return null;
        }
    }

    /** The secret values {@code raw} holds for {@code model}: to mask them in any message, even if invalid. */
    public static List<String> secrets(ConfigModel model, Map<String, String> raw) {
        return model.settings().stream().filter(Setting::secret).map(s -> raw.get(s.env()))
                .filter(v -> v != null && !v.isEmpty()).toList();
    }

    /** The closest of {@code known} to a mistyped {@code key}, for "did you mean"; {@code null} if none is close. */
    public static String closest(String key, Collection<String> known) {
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

    /** Edit distance (Levenshtein). */
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
}
