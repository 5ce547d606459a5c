package dev.outbox.relay.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class SendResultTest {
    private static final TransportException SILENCE = TransportException.outage("no answer", null);

    private static SendResult ok() {
        return SendResult.acknowledged(UUID.randomUUID());
    }

    private static SendResult failed(TransportException e) {
        return SendResult.failed(UUID.randomUUID(), e);
    }

    @Test
    void aBatchOfWhichNothingArrivedFailsAsAWholeWithItsFirstFailure() {
        TransportException other = TransportException.outage("reset", null);
        assertThat(SendResult.wholeBatchFailure(List.of(failed(SILENCE), failed(other)), TransportException::outage))
                .containsSame(SILENCE);
    }

    @Test
    void oneAcknowledgementKeepsTheResultsPerEvent() {
        assertThat(SendResult.wholeBatchFailure(List.of(failed(SILENCE), ok()), TransportException::outage)).isEmpty();
    }

    @Test
    void oneFailureOfTheEventsOwnKeepsTheResultsPerEvent() {
        TransportException refused = TransportException.permanent("HTTP 400", null);
        assertThat(SendResult.wholeBatchFailure(List.of(failed(SILENCE), failed(refused)), TransportException::outage))
                .isEmpty();
    }

    @Test
    void theCallerSaysWhichFailuresAreTheDestinations() {
        TransportException loading = TransportException.retryable("LOADING", null);
        TransportException wrongType = TransportException.permanent("WRONGTYPE", null);
        assertThat(SendResult.wholeBatchFailure(List.of(failed(loading), failed(loading)), TransportException::retryable))
                .containsSame(loading);
        assertThat(SendResult.wholeBatchFailure(List.of(failed(loading), failed(wrongType)), TransportException::retryable))
                .isEmpty();
    }

    @Test
    void anEmptyBatchIsNoFailure() {
        assertThat(SendResult.wholeBatchFailure(List.of(), TransportException::outage)).isEmpty();
    }
}
