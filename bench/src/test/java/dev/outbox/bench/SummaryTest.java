package dev.outbox.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class SummaryTest {

    @Test
    void givesTheMiddleValueOfAnOddCountAndTheMeanOfTheTwoMiddleOnesOfAnEvenCount() {
        assertThat(Summary.of(List.of(3.0, 1.0, 2.0)).median()).isEqualTo(2.0);
        assertThat(Summary.of(List.of(4.0, 1.0, 3.0, 2.0)).median()).isEqualTo(2.5);
    }

    @Test
    void keepsMinMaxAndTheValuesInTheOrderTheyWereMeasured() {
        Summary s = Summary.of(List.of(0.9, 0.5, 1.2));
        assertThat(s.min()).isEqualTo(0.5);
        assertThat(s.max()).isEqualTo(1.2);
        assertThat(s.values()).containsExactly(0.9, 0.5, 1.2);
        assertThat(s.format(2)).isEqualTo("0.90 (0.50–1.20)");
    }

    @Test
    void takesTheRatioPerRoundBeforeSummarising() {
        Comparison c = new Comparison("x", "a", "b",
                List.of(new Measurement(100, 1, ""), new Measurement(100, 2, "")),
                List.of(new Measurement(100, 2, ""), new Measurement(100, 1, "")));
        assertThat(c.ratio().values()).containsExactly(2.0, 0.5);
    }

    @Test
    void refusesNothingAndValuesThatAreNotFinite() {
        assertThatThrownBy(() -> Summary.of(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Summary.of(List.of(1.0, Double.NaN))).hasMessageContaining("not a finite value");
    }
}
