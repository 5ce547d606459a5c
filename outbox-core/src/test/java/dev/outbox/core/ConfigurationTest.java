package dev.outbox.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigurationTest {

    @ParameterizedTest
    @ValueSource(strings = {"x; drop table y", "outbox\"", "Outbox", "1outbox", "out-box", "", " ",
        "a23456789012345678901234567890123456789012345678901234567890abcd", "öutbox", "outbox.event"})
    void rejectsUnsafeSchemaNames(String schema) {
        assertThatThrownBy(() -> Outbox.builder().schema(schema))
                .isInstanceOf(OutboxException.class)
                .hasMessageStartingWith("outbox.schema must be a plain SQL identifier")
                .hasMessageContaining("(was \"" + schema + "\")");
        assertThatThrownBy(() -> Inbox.builder("c").schema(schema))
                .isInstanceOf(OutboxException.class)
                .hasMessageStartingWith("inbox.schema must be a plain SQL identifier");
    }

    @Test
    void rejectsNullSchema() {
        assertThatThrownBy(() -> Outbox.builder().schema(null))
                .isInstanceOf(OutboxException.class)
                .hasMessageEndingWith("(was null)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"outbox", "_private", "tenant_42", "select"})
    void acceptsPlainIdentifiers(String schema) {
        assertThat(Outbox.builder().schema(schema).build().schema()).isEqualTo(schema);
    }

    @Test
    void defaultsToTheMigrationsSchema() {
        assertThat(Outbox.create().schema()).isEqualTo("outbox");
    }

    @Test
    void rejectsBadInboxSettings() {
        assertThatThrownBy(() -> Inbox.create(" "))
                .isInstanceOf(OutboxException.class)
                .hasMessageStartingWith("inbox.consumer must be 1 to 255 characters");
        assertThatThrownBy(() -> Inbox.builder("inventory").purgeBatchSize(0))
                .isInstanceOf(OutboxException.class)
                .hasMessage("inbox.purgeBatchSize must be between 1 and 100000 (was 0)");
    }
}
