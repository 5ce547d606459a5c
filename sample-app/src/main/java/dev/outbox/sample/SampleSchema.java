package dev.outbox.sample;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.sql.Statement;
import org.jdbi.v3.core.Jdbi;

/**
 * Applies the sample's business schema ({@code db/sample.sql}) at start, after checking that the
 * outbox schema of {@code sql/} is there. Fails with what to do when it is not.
 */
final class SampleSchema {
    private SampleSchema() {
    }

    static void apply(Jdbi jdbi) throws SQLException {
        String sql;
        try (InputStream in = SampleSchema.class.getResourceAsStream("/db/sample.sql")) {
            sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        jdbi.useTransaction(handle -> {
            boolean outbox = handle.createQuery("SELECT to_regclass('outbox.event') IS NOT NULL AND to_regclass('outbox.inbox') IS NOT NULL")
                    .mapTo(Boolean.class).one();
            if (!outbox) {
                throw new IllegalStateException("the outbox schema is missing in this database: apply sql/V*.sql first"
                        + " (see sql/README.md; scripts/demo does it)");
            }
            try (Statement s = handle.getConnection().createStatement()) {
                s.execute(sql);
            }
        });
    }
}
