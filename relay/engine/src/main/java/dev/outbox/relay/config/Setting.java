package dev.outbox.relay.config;

import dev.outbox.core.OutboxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * One configuration key, declared once: its environment name ({@code OUTBOX_BATCH_SIZE}), its
 * property name ({@code relay.batchSize}, used by builders), type, default, allowed values,
 * whether it is a secret, and a one-line description. From these come the parsing of the
 * environment and properties files, validation, masking, {@code run --help} and the README's
 * tables. Immutable; declare settings as constants with {@link #integer}, {@link #duration},
 * {@link #bool}, {@link #text} or {@link #choice} and the builder methods.
 *
 * <p>Problems are described without the key ({@code must be between 1 and 10000 (was 0)}); the
 * caller names the key the user wrote: the property in a builder, the variable in the environment.
 *
 * @param <T> the value's type
 */
public final class Setting<T> {
    private final String env;
    private final String property;
    private final String typeName;
    private final Function<String, T> parser;
    private final Function<T, String> formatter;
    private final T defaultValue;
    private final String shownDefault;
    private final boolean required;
    private final boolean secret;
    private final String description;
    private final List<Check<T>> checks;

    /** A rule on one value: the problem (without the key), or {@code null} when the value is valid. */
    @FunctionalInterface
    public interface Check<T> {
        String problem(T value);

        /** What the rule allows, for docs ({@code 1–10000}), or {@code null} if it says nothing short. */
        default String allowed() {
            return null;
        }

        /** A check that describes what it allows as {@code allowed}. */
        static <T> Check<T> described(String allowed, Check<T> check) {
            return new Check<>() {
                @Override
                public String problem(T value) {
                    return check.problem(value);
                }

                @Override
                public String allowed() {
                    return allowed;
                }
            };
        }
    }

    private Setting(Builder<T> b) {
        this.env = b.env;
        this.property = b.property;
        this.typeName = b.typeName;
        this.parser = b.parser;
        this.formatter = b.formatter;
        this.defaultValue = b.defaultValue;
        this.shownDefault = b.shownDefault;
        this.required = b.required;
        this.secret = b.secret;
        this.description = b.description;
        this.checks = List.copyOf(b.checks);
    }

    /** A whole number; {@code between} sets its range. */
    public static Builder<Integer> integer(String property, String env) {
        return new Builder<>(property, env, "integer", raw -> {
            try {
                return Integer.parseInt(raw.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("must be a whole number (was \"" + raw + "\")", e);
            }
        }, String::valueOf);
    }

    /** A duration: {@code 250ms}, {@code 10s}, {@code 5m}, {@code 2h}, {@code 7d} or ISO-8601 ({@code PT10S}). */
    public static Builder<Duration> duration(String property, String env) {
        return new Builder<>(property, env, "duration", Durations::parse, Durations::format);
    }

    /** {@code true} or {@code false}, in any case. */
    public static Builder<Boolean> bool(String property, String env) {
        return new Builder<>(property, env, "boolean", raw -> switch (raw.strip().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("must be true or false (was \"" + raw + "\")");
        }, String::valueOf);
    }

    /** Text, stripped of surrounding blanks. */
    public static Builder<String> text(String property, String env) {
        return new Builder<>(property, env, "text", String::strip, Function.identity());
    }

    /** One of {@code choices}, in any case on input; the value is the choice as declared. */
    public static Builder<String> choice(String property, String env, List<String> choices) {
        List<String> allowed = List.copyOf(choices);
        return new Builder<>(property, env, String.join(" | ", allowed), raw -> allowed.stream()
                .filter(c -> c.equalsIgnoreCase(raw.strip())).findFirst().orElse(raw.strip()), Function.identity())
                .check(Check.described(String.join(", ", allowed), v -> allowed.contains(v) ? null
                        : "must be one of " + String.join(", ", allowed) + " (was \"" + v + "\")"));
    }

    /** The environment variable (and properties file key), e.g. {@code OUTBOX_BATCH_SIZE}. */
    public String env() {
        return env;
    }

    /** The property name builders use in messages, e.g. {@code relay.batchSize}. */
    public String property() {
        return property;
    }

    /** The name the user wrote, for messages. */
    public String name(Naming naming) {
        return naming == Naming.ENVIRONMENT ? env : property;
    }

    /** A short name of the type or the allowed values, for tables and help. */
    public String typeName() {
        return typeName;
    }

    /** What the value may be, for docs: the checks' own words ({@code 1–10000}), else the type. */
    public String allowed() {
        List<String> parts = checks.stream().map(Check::allowed).filter(Objects::nonNull).toList();
        return parts.isEmpty() ? typeName : String.join("; ", parts);
    }

    public String description() {
        return description;
    }

    public boolean secret() {
        return secret;
    }

    public boolean required() {
        return required;
    }

    public Optional<T> defaultValue() {
        return Optional.ofNullable(defaultValue);
    }

    /** The default as the docs show it: formatted, a description of a computed default, or empty. */
    public String shownDefault() {
        if (shownDefault != null) {
            return shownDefault;
        }
        return defaultValue == null ? "" : formatter.apply(defaultValue);
    }

    /**
     * Parses and checks a value as written by a user.
     *
     * @throws IllegalArgumentException whose message is the problem, without the key
     */
    public T parse(String raw) {
        T value = parser.apply(raw);
        String problem = problem(value);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return value;
    }

    /** The problem with {@code value} (without the key), or {@code null} if it is allowed. */
    public String problem(T value) {
        if (value == null) {
            return "must be set";
        }
        for (Check<T> check : checks) {
            String problem = check.problem(value);
            if (problem != null) {
                return problem;
            }
        }
        return null;
    }

    /**
     * {@code value} if allowed, for builders.
     *
     * @throws OutboxException naming the property, the rule and the value
     */
    public T check(T value) {
        String problem = problem(value);
        if (problem != null) {
            throw new OutboxException(property + " " + problem);
        }
        return value;
    }

    /** The value as a user writes it ({@code 10s}); {@value Redaction#MASK} for a secret. */
    public String format(T value) {
        return secret ? Redaction.MASK : formatter.apply(value);
    }

    /** Formats a value known to be of this setting's type. */
    String formatObject(Object value) {
        @SuppressWarnings("unchecked")
        T typed = (T) value;
        return format(typed);
    }

    @Override
    public String toString() {
        return env;
    }

    /** Declares a {@link Setting}; ranges and rules are checked by the setting, not here. */
    public static final class Builder<T> {
        private final String env;
        private final String property;
        private String typeName;
        private final Function<String, T> parser;
        private final Function<T, String> formatter;
        private T defaultValue;
        private String shownDefault;
        private boolean required;
        private boolean secret;
        private String description = "";
        private final List<Check<T>> checks = new ArrayList<>();

        private Builder(String property, String env, String typeName, Function<String, T> parser,
                        Function<T, String> formatter) {
            this.property = Objects.requireNonNull(property);
            this.env = Objects.requireNonNull(env);
            this.typeName = typeName;
            this.parser = parser;
            this.formatter = formatter;
        }

        public Builder<T> defaultValue(T value) {
            this.defaultValue = value;
            return this;
        }

        /** How the docs show a computed default, e.g. {@code <host>-<pid>}. */
        public Builder<T> shownDefault(String text) {
            this.shownDefault = text;
            return this;
        }

        public Builder<T> required() {
            this.required = true;
            return this;
        }

        /** Never shown; may also be read from the file named by {@code <KEY>_FILE}. */
        public Builder<T> secret() {
            this.secret = true;
            return this;
        }

        public Builder<T> description(String text) {
            this.description = text;
            return this;
        }

        /** Overrides the type shown in docs, e.g. {@code host:port[,host:port…]}. */
        public Builder<T> shownType(String text) {
            this.typeName = text;
            return this;
        }

        public Builder<T> check(Check<T> check) {
            checks.add(check);
            return this;
        }

        /** Text matching {@code pattern} in full; {@code rule} says what that means, e.g. "1 to 40 characters of A-Z…". */
        public Builder<T> matching(Pattern pattern, String rule) {
            return check(Check.described(rule, v -> pattern.matcher(String.valueOf(v)).matches() ? null
                    : "must be " + rule + " (was \"" + v + "\")"));
        }

        /** Not blank. */
        public Builder<T> notBlank() {
            return check(v -> String.valueOf(v).isBlank() ? "must not be blank (was \"" + v + "\")" : null);
        }

        public Setting<T> build() {
            return new Setting<>(this);
        }
    }

    /** Range checks for comparable settings. */
    public static <C extends Comparable<C>> Check<C> between(C min, C max, Function<C, String> show) {
        return Check.described(show.apply(min) + "–" + show.apply(max), v -> v.compareTo(min) < 0 || v.compareTo(max) > 0
                ? "must be between " + show.apply(min) + " and " + show.apply(max) + " (was " + show.apply(v) + ")"
                : null);
    }

    /** {@link #between} for whole numbers. */
    public static Check<Integer> between(int min, int max) {
        return between(min, max, String::valueOf);
    }

    /** {@link #between} for durations, shown as users write them. */
    public static Check<Duration> between(Duration min, Duration max) {
        return between(min, max, Durations::format);
    }
}
