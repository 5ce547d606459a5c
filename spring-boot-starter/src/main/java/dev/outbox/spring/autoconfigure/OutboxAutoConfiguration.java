package dev.outbox.spring.autoconfigure;

import dev.outbox.core.Outbox;
import dev.outbox.spring.TransactionalInbox;
import dev.outbox.spring.TransactionalOutbox;
import dev.outbox.spring.internal.SpringConfig;
import javax.sql.DataSource;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.datasource.DataSourceUtils;

/**
 * The writer side: an {@link Outbox} and a {@link TransactionalOutbox} and
 * {@link TransactionalInbox} on the application's {@link DataSource}, which join the current
 * Spring-managed transaction. The {@code outbox.*} keys are checked here, at startup, whether or
 * not the relay runs.
 */
@AutoConfiguration(after = DataSourceAutoConfiguration.class)
@ConditionalOnClass(DataSourceUtils.class)
@ConditionalOnSingleCandidate(DataSource.class)
public class OutboxAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    SpringConfig outboxSpringConfig(Environment environment) {
        return new SpringConfig(environment, SpringConfig.installedTransports(getClass().getClassLoader()));
    }

    @Bean
    @ConditionalOnMissingBean
    Outbox outbox(SpringConfig config) {
        return Outbox.builder().schema(config.schema()).build();
    }

    @Bean
    @ConditionalOnMissingBean
    TransactionalOutbox transactionalOutbox(Outbox outbox, DataSource dataSource) {
        return new TransactionalOutbox(outbox, dataSource);
    }

    @Bean
    @ConditionalOnMissingBean
    TransactionalInbox transactionalInbox(SpringConfig config, DataSource dataSource) {
        return new TransactionalInbox(dataSource, config.schema());
    }
}
