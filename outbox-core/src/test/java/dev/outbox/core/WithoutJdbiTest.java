package dev.outbox.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Jdbi is an optional dependency: applications on plain JDBC must not need it. */
class WithoutJdbiTest {

    @Test
    void plainJdbcCallersCompileWithoutJdbiOnTheClasspath(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("App.java");
        Files.writeString(source, """
                import dev.outbox.core.*;
                import java.sql.Connection;
                import java.util.List;
                import java.util.UUID;
                class App {
                    void write(Connection c) {
                        OutboxEvent e = OutboxEvent.builder("Order", "1", "OrderPlaced").payload("{}").build();
                        Outbox.create().append(c, e);
                        Outbox.create().appendAll(c, List.of(e));
                        Inbox.create("inventory").receiveOnce(c, UUID.randomUUID(), tx -> { });
                    }
                }
                """);
        String classpath = String.join(File.pathSeparator,
                Path.of(Outbox.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString(),
                Path.of(jakarta.json.Json.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int exit = ToolProvider.getSystemJavaCompiler().run(null, null, errors,
                "-classpath", classpath, "-d", dir.toString(), source.toString());
        assertThat(exit).as(errors.toString(StandardCharsets.UTF_8)).isZero();
    }

    @Test
    void outboxAndInboxLoadAndWorkWithoutJdbiOnTheClasspath() throws Throwable {
        URL core = Outbox.class.getProtectionDomain().getCodeSource().getLocation();
        URL jsonApi = jakarta.json.Json.class.getProtectionDomain().getCodeSource().getLocation();
        URL parsson = Class.forName("org.eclipse.parsson.JsonProviderImpl")
                .getProtectionDomain().getCodeSource().getLocation();
        try (URLClassLoader isolated = new URLClassLoader(new URL[] {core, jsonApi, parsson},
                ClassLoader.getPlatformClassLoader())) {
            assertThatThrownBy(() -> isolated.loadClass("org.jdbi.v3.core.Handle"))
                    .isInstanceOf(ClassNotFoundException.class);
            // Initialising links and verifies the classes, including their Handle methods.
            Class<?> outbox = Class.forName(Outbox.class.getName(), true, isolated);
            Class<?> inbox = Class.forName(Inbox.class.getName(), true, isolated);
            // Method handles resolve one method, as a plain call does (reflection's getMethod would
            // resolve every signature of the class, which plain code never does).
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            assertThat(lookup.findStatic(outbox, "create", MethodType.methodType(outbox)).invoke()).isNotNull();
            assertThat(lookup.findStatic(inbox, "create", MethodType.methodType(inbox, String.class)).invoke("c"))
                    .isNotNull();
        }
    }
}
