package dev.outbox.relay.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.RelayState;
import dev.outbox.relay.ops.DeadEvent;
import dev.outbox.relay.ops.StatusReport;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Keys, types, errors and instance names come from outside: the CLI tables print their control characters escaped. */
class TerminalEscapingTest {
    private static final Instant AT = Instant.parse("2025-03-01T12:00:00Z");

    @Test
    void deadListShowsControlCharactersOfKeyTypeAndErrorEscapedOnOneLinePerEvent() {
        DeadEvent event = new DeadEvent(UUID.fromString("0190a3c4-0000-7000-8000-000000000001"), 7, "Order",
                "o-1\nINFO forged-row", "Placed\u001b[2J\u0007", 3,
                "HTTP 400:\u009b31m rejected\u202e", AT, 0);

        String table = TextViews.deadEvents(List.of(event));

        assertThat(table.lines()).hasSize(2);
        assertThat(table).contains("Order/o-1\\nINFO forged-row")
                .contains("Placed\\u001b[2J\\u0007").contains("HTTP 400:\\u009b31m rejected\\u202e")
                .doesNotContain("\u001b").doesNotContain("\u009b").doesNotContain("\u202e");
    }

    @Test
    void statusShowsAnInstanceNameAndLastErrorWithControlCharactersEscaped() {
        RelayState paused = new RelayState(RelayState.Phase.TRANSPORT_PAUSED, AT, "broker said \u001b[31mno\nINFO forged");
        StatusReport report = new StatusReport("outbox", AT, 0, null, 0, 0, 0,
                List.of(new StatusReport.RelayInstance("relay\u001b[8m-a\r\n", 42, AT, null,
                        IntStream.range(0, 64).boxed().toList(), paused)), List.of());

        assertThat(TextViews.status(report)).contains("relay\\u001b[8m-a\\r\\n")
                .contains("broker said \\u001b[31mno\\nINFO forged")
                .doesNotContain("\u001b").doesNotContain("\r");
    }

    @Test
    void tableCellsAreEscapedAndAlignedByTheirEscapedWidth() {
        String table = new Text.Table("A", "B").row("x\ty", "1").row("long-cell", "2").render("");

        assertThat(table).isEqualTo("A          B\nx\\ty       1\nlong-cell  2\n");
    }
}
