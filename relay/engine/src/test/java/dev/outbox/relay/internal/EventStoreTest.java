package dev.outbox.relay.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EventStoreTest {
    @Test
    void theSeqsInFlightBecomeAMultirangeWithConsecutiveSeqsMerged() {
        assertThat(EventStore.multirange(new long[] {9, 3, 4, 5, 12, 11})).isEqualTo("{[3,5],[9,9],[11,12]}");
    }

    @Test
    void nothingInFlightIsTheEmptyMultirange() {
        assertThat(EventStore.multirange(new long[0])).isEqualTo("{}");
    }

    @Test
    void aSeqTwiceIsOneRange() {
        assertThat(EventStore.multirange(new long[] {7, 7, 8})).isEqualTo("{[7,8]}");
    }
}
