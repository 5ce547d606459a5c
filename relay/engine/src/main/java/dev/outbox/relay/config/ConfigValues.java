package dev.outbox.relay.config;

import dev.outbox.core.OutboxException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Validated values of one {@link ConfigModel}: each value passed its setting's checks, required
 * settings are present and the model's rules hold. Immutable. Built by {@link ConfigReader} from
 * the environment, or by a typed builder through {@link #builder}.
 */
public final class ConfigValues {
    private final ConfigModel model;
    private final Map<Setting<?>, Object> values;

    private ConfigValues(ConfigModel model, Map<Setting<?>, Object> values) {
        this.model = model;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** A builder that checks each value as it is set and names properties in its messages. */
    public static Builder builder(ConfigModel model) {
        return new Builder(model);
    }

    public ConfigModel model() {
        return model;
    }

    /** The value, or the setting's default; {@code null} for an optional setting without default that is not set. */
    public <T> T get(Setting<T> setting) {
        Object value = values.get(setting);
        @SuppressWarnings("unchecked")
        T typed = (T) value;
        return value == null ? setting.defaultValue().orElse(null) : typed;
    }

    /** The value if one was set (the default does not count). */
    public <T> Optional<T> find(Setting<T> setting) {
        @SuppressWarnings("unchecked")
        T typed = (T) values.get(setting);
        return Optional.ofNullable(typed);
    }

    /** Every setting with its effective value as users write it, by environment name; secrets as {@value Redaction#MASK}, URL credentials masked. */
    public Map<String, String> shown() {
        Map<String, String> shown = new LinkedHashMap<>();
        for (Setting<?> s : model.settings()) {
            Object v = values.containsKey(s) ? values.get(s) : s.defaultValue().orElse(null);
            if (v != null) {
                shown.put(s.env(), Redaction.shown(s.formatObject(v)));
            }
        }
        return shown;
    }

    /**
     * The secrets among these values, to scrub from any text: values of secret settings, and the
     * credentials carried by URLs in the others ({@link Redaction#urlCredentials}).
     */
    public List<String> secrets() {
        List<String> secrets = new ArrayList<>();
        values.forEach((s, v) -> {
            if (s.secret()) {
                secrets.add(String.valueOf(v));
            } else if (v instanceof String text) {
                secrets.addAll(Redaction.urlCredentials(text));
            }
        });
        return secrets;
    }

    @Override
    public String toString() {
        return model.name() + shown();
    }

    /** Problems of required settings not {@code given}, named as {@code naming} says. */
    static List<String> missing(ConfigModel model, Collection<Setting<?>> given, Naming naming) {
        List<String> problems = new ArrayList<>();
        for (Setting<?> s : model.settings()) {
            if (s.required() && !given.contains(s)) {
                problems.add(s.name(naming) + " is required: " + s.description());
            }
        }
        return problems;
    }

    /** Problems of required settings left unset and, if none, of the model's rules, named as {@code naming} says. */
    static List<String> problems(ConfigModel model, Map<Setting<?>, Object> values, Naming naming) {
        List<String> problems = missing(model, values.keySet(), naming);
        if (problems.isEmpty()) {
            ConfigValues candidate = new ConfigValues(model, values);
            for (Rule rule : model.rules()) {
                String problem = rule.problem(candidate, naming);
                if (problem != null) {
                    problems.add(problem);
                }
            }
        }
        return problems;
    }

    static ConfigValues of(ConfigModel model, Map<Setting<?>, Object> values) {
        return new ConfigValues(model, values);
    }

    /** Collects values for typed builders: {@link #set} checks the value, {@link #build} the rest. */
    public static final class Builder {
        private final ConfigModel model;
        private final Map<Setting<?>, Object> values = new LinkedHashMap<>();

        private Builder(ConfigModel model) {
            this.model = model;
        }

        /**
         * @throws OutboxException naming the property, the rule and the value
         * @throws IllegalArgumentException if the setting is not in the model
         */
        public <T> Builder set(Setting<T> setting, T value) {
            if (!model.settings().contains(setting)) {
                throw new IllegalArgumentException(setting.property() + " is not a setting of " + model.name());
            }
            values.put(setting, setting.check(value));
            return this;
        }

        /** @throws OutboxException listing every missing required setting or broken rule, by property name */
        public ConfigValues build() {
            List<String> problems = problems(model, values, Naming.PROPERTY);
            if (!problems.isEmpty()) {
                throw new OutboxException(String.join("; ", problems));
            }
            return new ConfigValues(model, values);
        }
    }
}
