package dev.outbox.relay.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ControlCharsTest {

    @Test
    void escapesLineBreaksAndTerminalControlsVisibly() {
        assertThat(ControlChars.escape("a\nb\r\tc")).isEqualTo("a\\nb\\r\\tc");
        assertThat(ControlChars.escape("\u001b[31mred\u001b[0m")).isEqualTo("\\u001b[31mred\\u001b[0m");
        assertThat(ControlChars.escape("nul\u0000 del\u007f csi\u009b")).isEqualTo("nul\\u0000 del\\u007f csi\\u009b");
    }

    @Test
    void escapesUnicodeLineSeparatorsAndBidiOverrides() {
        assertThat(ControlChars.escape("a\u2028b\u2029c")).isEqualTo("a\\u2028b\\u2029c");
        assertThat(ControlChars.escape("id\u202Egnp.exe\u2066x\u2069\u200f")).isEqualTo(
                "id\\u202egnp.exe\\u2066x\\u2069\\u200f");
    }

    @Test
    void leavesPrintableTextAloneAndReturnsTheSameInstance() {
        String plain = "Order/o-42 OrderPlaced ünïcödé 注文 \\ \"quoted\"";
        assertThat(ControlChars.escape(plain)).isSameAs(plain);
        assertThat(ControlChars.escape(null)).isNull();
    }

    @Test
    void logFieldsEscapeTheirValuesAndKeys() {
        assertThat(LogFields.of("key", "k1\nINFO forged=line", "ty\rpe", "x").toString())
                .isEqualTo("key=k1\\nINFO forged=line ty\\rpe=x");
    }
}
