package dev.outbox.schema;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.testing.TestDatabase;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.sql.DataSource;
import liquibase.command.CommandScope;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The schema as the {@code outbox-schema} jar ships it, applied as the README's recipes apply it:
 * Flyway next to an application's own migrations, Liquibase through the shipped changelog. Each
 * must give exactly the schema that applying {@code sql/} with psql gives.
 */
class OutboxSchemaIT {
    private static final String MIGRATIONS = OutboxSchema.FLYWAY_LOCATION.substring("classpath:".length());
    private static final Pattern VERSION = Pattern.compile("V(\\d+)__.+\\.sql");
    /** Everything of schema outbox that a migration makes, one line each, sorted. */
    private static final String FINGERPRINT = "SELECT string_agg(x, E'\\n' ORDER BY x) FROM ("
            + " SELECT 'relation ' || c.relname || ' ' || c.relkind::text FROM pg_class c"
            + "   JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'outbox'"
            + " UNION ALL SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)"
            + "   || coalesce(' = ' || pg_get_expr(d.adbin, d.adrelid), '') FROM pg_attribute a"
            + "   JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            + "   LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
            + "   WHERE n.nspname = 'outbox' AND a.attnum > 0 AND NOT a.attisdropped"
            + " UNION ALL SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(k.oid) FROM pg_constraint k"
            + "   JOIN pg_namespace n ON n.oid = k.connamespace WHERE n.nspname = 'outbox'"
            + " UNION ALL SELECT 'function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') '"
            + "   || md5(p.prosrc) || ' ' || p.prosecdef::text || ' ' || coalesce(array_to_string(p.proacl, ','), '')"
            + "   FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'outbox'"
            + " UNION ALL SELECT 'trigger ' || t.tgname || ' ' || pg_get_triggerdef(t.oid) FROM pg_trigger t"
            + "   JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            + "   WHERE n.nspname = 'outbox' AND NOT t.tgisinternal"
            + " UNION ALL SELECT 'grant ' || c.relname || ' ' || coalesce(array_to_string(c.relacl, ','), '')"
            + "   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'outbox'"
            + " UNION ALL SELECT 'comment ' || c.relname || ' ' || md5(coalesce(obj_description(c.oid, 'pg_class'), ''))"
            + "   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'outbox'"
            + ") f(x)";

    private static String byPsql;

    @BeforeAll
    static void schemaAsPsqlAppliesIt() {
        try (TestDatabase db = TestDatabase.create()) {
            byPsql = db.queryString(FINGERPRINT);
        }
    }

    @Test
    void theJarHoldsExactlyTheMigrationsOfSqlByteForByteAndTheChangelogListsThemInVersionOrder() throws Exception {
        List<String> expected = migrationsIn(TestDatabase.sqlDirectory());
        URI uri = resource(MIGRATIONS).toURI(); // in the module's jar when failsafe runs this
        try (FileSystem jar = "jar".equals(uri.getScheme()) ? FileSystems.newFileSystem(uri, Map.of()) : null) {
            Path shipped = jar == null ? Path.of(uri) : jar.provider().getPath(uri);
            assertThat(migrationsIn(shipped)).isEqualTo(expected);
            for (String file : expected) {
                assertThat(Files.readAllBytes(shipped.resolve(file))).as(file)
                        .isEqualTo(Files.readAllBytes(TestDatabase.sqlDirectory().resolve(file)));
            }
            assertThat(shipped).as("the optional trigger is not shipped").isDirectoryNotContaining("glob:**notify*");
        }

        String changelog;
        try (InputStream in = resource(OutboxSchema.LIQUIBASE_CHANGELOG).openStream()) {
            changelog = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<String> listed = new ArrayList<>();
        Matcher m = Pattern.compile("<sqlFile path=\"migration/([^\"]+)\"").matcher(changelog);
        while (m.find()) {
            listed.add(m.group(1));
        }
        assertThat(listed).as("changelog.xml: one change set per file of sql/, in version order").isEqualTo(expected);
    }

    @Test
    void flywayAppliesTheOutboxNextToAnApplicationsOwnV1WithAHistoryTableOfItsOwn() throws Exception {
        try (TestDatabase db = TestDatabase.createEmpty()) {
            PGSimpleDataSource dataSource = new PGSimpleDataSource();
            dataSource.setURL(db.jdbcUrl());
            for (int run = 0; run < 2; run++) { // the second run finds everything applied
                migrateWithFlyway(dataSource);
            }

            assertThat(db.queryString("SELECT string_agg(version || ' ' || success, ',' ORDER BY installed_rank)"
                    + " FROM flyway_schema_history")).as("the application's own history").isEqualTo("1 true");
            List<String> versions = new ArrayList<>();
            for (String file : migrationsIn(TestDatabase.sqlDirectory())) {
                Matcher v = VERSION.matcher(file);
                v.matches();
                versions.add(v.group(1) + " true");
            }
            assertThat(db.queryString("SELECT string_agg(version || ' ' || success, ',' ORDER BY installed_rank)"
                    + " FROM outbox_schema_history WHERE type = 'SQL'")).isEqualTo(String.join(",", versions));
            assertThat(db.queryString(FINGERPRINT)).as("the schema psql gives").isEqualTo(byPsql);
        }
    }

    /** The README's Flyway recipe. */
    static void migrateWithFlyway(DataSource dataSource) {
        // tag::flyway[]
        // The application's own migrations, as before (classpath:db/migration, table flyway_schema_history):
        Flyway.configure().dataSource(dataSource).load().migrate();
        // The outbox's, from the outbox-schema jar, with a history table of their own:
        Flyway.configure().dataSource(dataSource)
                .locations("classpath:dev/outbox/schema/migration")
                .table("outbox_schema_history")
                .baselineOnMigrate(true).baselineVersion("0") // the database is not empty: start below V1
                .load().migrate();
        // end::flyway[]
    }

    @Test
    void liquibaseAppliesTheMigrationsButNotTheOptionalTriggerFromAnApplicationsChangelog() throws Exception {
        try (TestDatabase db = TestDatabase.createEmpty()) {
            for (int run = 0; run < 2; run++) { // the second run finds everything applied
                new CommandScope("update").addArgumentValue("url", db.jdbcUrl())
                        .addArgumentValue("changelogFile", "app-changelog.xml").execute();
            }

            assertThat(db.queryLong("SELECT count(*) FROM databasechangelog WHERE author = 'outbox'"))
                    .isEqualTo(migrationsIn(TestDatabase.sqlDirectory()).size());
            assertThat(db.queryLong("SELECT count(*) FROM orders")).as("the application's own change").isZero();
            assertThat(db.queryString(FINGERPRINT)).as("the schema psql gives").isEqualTo(byPsql);
            assertThat(db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgname = 'event_notify'")).isZero();
        }
    }

    private static URL resource(String name) {
        URL url = OutboxSchemaIT.class.getClassLoader().getResource(name);
        assertThat(url).as("%s on the class path", name).isNotNull();
        return url;
    }

    private static List<String> migrationsIn(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(f -> f.getFileName().toString()).filter(f -> VERSION.matcher(f).matches())
                    .sorted(Comparator.comparingInt(f -> {
                        Matcher v = VERSION.matcher(f);
                        v.matches();
                        return Integer.parseInt(v.group(1));
                    })).toList();
        }
    }
}
