package dev.outbox.spring.autoconfigure;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.Relay;
import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.micrometer.OutboxRelayMetrics;
import dev.outbox.relay.opentelemetry.OutboxRelayTracing;
import dev.outbox.relay.ops.Operations;
import dev.outbox.relay.spi.SendTracing;
import dev.outbox.relay.spi.Transport;
import dev.outbox.spring.internal.SpringConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import javax.sql.DataSource;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The embedded relay, when {@code outbox.relay.enabled=true}: a {@link Relay} configured by
 * {@code outbox.relay.*}, sending with the application's {@link Transport} bean or the one
 * {@code outbox.transport.name} selects, started and stopped with the application context
 * ({@link RelayLifecycle}); with Actuator, its health indicator ({@code outboxRelay}); with
 * Micrometer and {@code outbox-relay-micrometer}, its meters; with an {@link OpenTelemetry} bean
 * and {@code outbox-relay-opentelemetry}, a PRODUCER span per event (or the application's own
 * {@link SendTracing} bean).
 *
 * <p>The relay uses the application's {@link DataSource} unless a bean named
 * {@value #RELAY_DATA_SOURCE} exists (declare it with {@code @Bean(defaultCandidate = false)} so
 * that it does not replace the application's own).
 */
@AutoConfiguration(after = OutboxAutoConfiguration.class,
        afterName = "org.springframework.boot.actuate.autoconfigure.opentelemetry.OpenTelemetryAutoConfiguration")
@ConditionalOnBean(SpringConfig.class)
@ConditionalOnProperty(prefix = "outbox.relay", name = "enabled", havingValue = "true")
public class OutboxRelayAutoConfiguration {
    /** The name of an optional data source for the relay (a role with the {@code outbox_relay} grants). */
    public static final String RELAY_DATA_SOURCE = "outboxRelayDataSource";

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    Relay outboxRelay(SpringConfig config, BeanFactory beans, ObjectProvider<Transport> transportBean,
                      ObjectProvider<SendTracing> tracing) {
        RelayConfig relayConfig = config.relayConfig();
        Transport transport = transportBean.getIfUnique();
        if (transport != null && config.transportConfigured()) {
            throw new OutboxException("the application defines a Transport bean and sets outbox.transport.* keys,"
                    + " which configure a transport by name: remove one of them");
        }
        if (transport == null) {
            transport = config.transport();
        }
        Relay.Builder relay = Relay.builder(relayDataSource(beans), transport).config(relayConfig);
        tracing.ifUnique(relay::tracing);
        return relay.build();
    }

    @Bean
    @ConditionalOnMissingBean
    RelayLifecycle outboxRelayLifecycle(Relay relay) {
        return new RelayLifecycle(relay);
    }

    static DataSource relayDataSource(BeanFactory beans) {
        return beans.containsBean(RELAY_DATA_SOURCE) ? beans.getBean(RELAY_DATA_SOURCE, DataSource.class)
                : beans.getBean(DataSource.class);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    static class Health {
        @Bean
        @ConditionalOnMissingBean(name = "outboxRelayHealthIndicator")
        OutboxRelayHealthIndicator outboxRelayHealthIndicator(Relay relay) {
            return new OutboxRelayHealthIndicator(relay);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({OpenTelemetry.class, OutboxRelayTracing.class})
    static class Tracing {
        @Bean
        @ConditionalOnBean(OpenTelemetry.class)
        @ConditionalOnMissingBean
        SendTracing outboxRelayTracing(OpenTelemetry openTelemetry) {
            return OutboxRelayTracing.create(openTelemetry);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({MeterRegistry.class, OutboxRelayMetrics.class})
    static class Metrics {
        @Bean
        @ConditionalOnMissingBean
        OutboxRelayMetrics outboxRelayMetrics(Relay relay, BeanFactory beans) {
            // The backlog gauges read the outbox with the relay's role, at most every few seconds.
            return new OutboxRelayMetrics(relay, Operations.create(relayDataSource(beans), relay.config().schema()));
        }
    }
}
