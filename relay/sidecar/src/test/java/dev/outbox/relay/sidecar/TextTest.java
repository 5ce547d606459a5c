package dev.outbox.relay.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextTest {

    @Test
    void compactsSlotsIntoRanges() {
        assertThat(Text.ranges(List.of(0, 1, 2, 3, 7, 9, 10, 11, 12))).isEqualTo("0-3, 7, 9-12");
        assertThat(Text.ranges(List.of(5))).isEqualTo("5");
        assertThat(Text.ranges(List.of())).isEqualTo("none");
    }

    @Test
    void formatsAgesForAGlance() {
        assertThat(Text.age(Duration.ofMillis(850))).isEqualTo("850ms");
        assertThat(Text.age(Duration.ofSeconds(42))).isEqualTo("42s");
        assertThat(Text.age(Duration.ofSeconds(192))).isEqualTo("3m 12s");
        assertThat(Text.age(Duration.ofMinutes(307))).isEqualTo("5h 07m");
        assertThat(Text.age(Duration.ofHours(52))).isEqualTo("2d 04h");
        assertThat(Text.age(Duration.ofSeconds(-3))).isEqualTo("0ms");
    }

    @Test
    void alignsTableColumnsWithNumbersOnTheRight() {
        String table = new Text.Table("NAME", "N>", "NOTE")
                .row("a", "1", "x")
                .row("longer", "1,000", "y")
                .render("");
        assertThat(table).isEqualTo(
                "NAME        N  NOTE\n"
                + "a           1  x\n"
                + "longer  1,000  y\n");
    }
}
