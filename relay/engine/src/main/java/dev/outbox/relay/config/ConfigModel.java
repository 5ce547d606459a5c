package dev.outbox.relay.config;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The declared settings of one component (the relay, the sidecar, a transport) and the rules
 * between them. It is the single source of what can be configured: {@link ConfigReader} parses
 * the environment with it, builders validate with it, and the sidecar's {@code --help} and the
 * README's tables are written from it ({@link #markdownTable()}).
 *
 * @param name the component, e.g. {@code relay} or {@code kafka}
 * @param settings in the order users read them
 * @param rules checked once every setting is valid
 */
public record ConfigModel(String name, List<Setting<?>> settings, List<Rule> rules) {

    public ConfigModel {
        settings = List.copyOf(settings);
        rules = List.copyOf(rules);
        Set<String> seen = new LinkedHashSet<>();
        for (Setting<?> s : settings) {
            if (!seen.add(s.env())) {
                throw new IllegalArgumentException(name + " declares " + s.env() + " twice");
            }
        }
    }

    public static ConfigModel of(String name, List<Setting<?>> settings) {
        return new ConfigModel(name, settings, List.of());
    }

    /** This model with {@code more} settings after its own (e.g. a transport's routing settings). */
    public ConfigModel with(List<Setting<?>> more) {
        List<Setting<?>> all = new ArrayList<>(settings);
        all.addAll(more);
        return new ConfigModel(name, all, rules);
    }

    /** The setting with this environment name. */
    public Optional<Setting<?>> setting(String env) {
        return settings.stream().filter(s -> s.env().equals(env)).findFirst();
    }

    /** Every key a user may write: the environment names, and {@code <KEY>_FILE} for secrets. */
    public Set<String> keys() {
        Set<String> keys = new LinkedHashSet<>();
        for (Setting<?> s : settings) {
            keys.add(s.env());
            if (s.secret()) {
                keys.add(s.env() + ConfigReader.FILE_SUFFIX);
            }
        }
        return keys;
    }

    /** The README's table of these settings: key, default, allowed values, description (required and secret marked). */
    public String markdownTable() {
        StringBuilder t = new StringBuilder("| Key | Default | Allowed | Description |\n|---|---|---|---|\n");
        for (Setting<?> s : settings) {
            String shown = s.shownDefault();
            t.append("| `").append(s.env()).append("` | ")
                    .append(s.required() ? "required" : shown.isEmpty() ? "" : "`" + shown + "`").append(" | ")
                    .append(s.allowed().replace("|", "\\|")).append(" | ")
                    .append(s.description().replace("|", "\\|"))
                    .append(s.secret() ? " Secret: never shown; or from the file named by `" + s.env()
                            + ConfigReader.FILE_SUFFIX + "`." : "")
                    .append(" |\n");
        }
        return t.toString();
    }

    /** The {@code --help} list of these settings, one per line: key, default, description. */
    public String helpText() {
        StringBuilder t = new StringBuilder();
        int width = settings.stream().mapToInt(s -> s.env().length()).max().orElse(0);
        for (Setting<?> s : settings) {
            String shown = s.required() ? "required" : s.shownDefault().isEmpty() ? "" : "default " + s.shownDefault();
            t.append("  ").append(s.env()).append(" ".repeat(width - s.env().length() + 2)).append(s.description());
            if (!shown.isEmpty()) {
                t.append(" (").append(shown).append(')');
            }
            if (s.secret()) {
                t.append(" [secret; or ").append(s.env()).append(ConfigReader.FILE_SUFFIX).append(']');
            }
            t.append('\n');
        }
        return t.toString();
    }
}
