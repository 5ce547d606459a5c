package dev.outbox.relay.sidecar;

import dev.outbox.relay.config.Durations;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Converters for the operator commands' numeric options, so that a value outside its range is a
 * usage error (exit 2) at parse time, before any connection is opened. picocli prints
 * {@code Invalid value for option '--limit': must be an integer >= 1 (was "-1")}.
 */
final class Arguments {
    private Arguments() {
    }

    /** An integer of at least 1: counts and sizes. */
    static final class PositiveInt implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            int n;
            try {
                n = Integer.parseInt(value.trim());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("must be an integer >= 1 (was \"" + value + "\")");
            }
            if (n < 1) {
                throw new TypeConversionException("must be an integer >= 1 (was \"" + value + "\")");
            }
            return n;
        }
    }

    /** A duration of zero or more: ages ({@code --older-than 0s} means every published event). */
    static final class Age implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return duration(value, false);
        }
    }

    /** A duration above zero: timeouts and thresholds. */
    static final class PositiveDuration implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return duration(value, true);
        }
    }

    private static Duration duration(String value, boolean positive) {
        String rule = "must be a duration " + (positive ? "> 0" : ">= 0")
                + " such as 500ms, 10s, 5m, 2h, 7d or PT10S (was \"" + value + "\")";
        Duration d;
        try {
            d = Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(rule);
        }
        if (d.isNegative() || positive && d.isZero()) {
            throw new TypeConversionException(rule);
        }
        return d;
    }
}
