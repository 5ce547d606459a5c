package dev.outbox.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.core.OutboxException;
import org.junit.jupiter.api.Test;

class RelayConfigTest {

    @Test
    void claimsAreBoundedTo16MiBByDefault() {
        assertThat(RelayConfig.defaults().batchMaxBytes()).isEqualTo(16 * 1024 * 1024);
    }

    @Test
    void batchMaxBytesOutsideItsRangeIsRefusedWithTheRuleAndTheValue() {
        assertThatThrownBy(() -> RelayConfig.builder().batchMaxBytes(65_536))
                .isInstanceOf(OutboxException.class)
                .hasMessage("relay.batchMaxBytes must be between 1048576 and 1073741824 (was 65536)");
        assertThat(RelayConfig.builder().batchMaxBytes(1 << 20).build().batchMaxBytes()).isEqualTo(1 << 20);
    }
}
