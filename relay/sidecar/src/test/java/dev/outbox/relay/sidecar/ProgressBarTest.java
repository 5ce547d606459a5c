package dev.outbox.relay.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressBarTest {

    @Test
    void rendersHalfDoneAsHalfFilledBarWithPercentAndCounts() {
        assertThat(ProgressBar.render(5000, 10_000, 20)).isEqualTo("[##########..........]  50%  5,000/10,000");
    }

    @Test
    void rendersStartAndEnd() {
        assertThat(ProgressBar.render(0, 300, 10)).isEqualTo("[..........]   0%  0/300");
        assertThat(ProgressBar.render(300, 300, 10)).isEqualTo("[##########] 100%  300/300");
    }

    @Test
    void neverRoundsUpToDoneBeforeItIs() {
        assertThat(ProgressBar.render(999, 1000, 20)).startsWith("[###################.]  99%");
    }

    @Test
    void showsMoreThanTotalAsFullWithTheRealCount() {
        assertThat(ProgressBar.render(1200, 1000, 4)).isEqualTo("[####] 100%  1,200/1,000");
    }

    @Test
    void showsNothingToDoAsComplete() {
        assertThat(ProgressBar.render(0, 0, 4)).isEqualTo("[####] 100%  0/0");
    }

    @Test
    void redrawsInPlaceOnlyWhenTheTextChangesAndEndsTheLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), 4, 4);
        bar.accept(1);
        bar.accept(1);
        bar.accept(4);
        bar.finish();
        assertThat(bytes.toString(StandardCharsets.UTF_8))
                .isEqualTo("\r[#...]  25%  1/4\r[####] 100%  4/4" + System.lineSeparator());
    }

    @Test
    void rejectsNegativeTotalAndBadWidthNamingTheValue() {
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertThatThrownBy(() -> new ProgressBar(out, -1, 20)).hasMessageContaining("(was -1)");
        assertThatThrownBy(() -> new ProgressBar(out, 10, 0)).hasMessageContaining("width").hasMessageContaining("(was 0)");
    }
}
