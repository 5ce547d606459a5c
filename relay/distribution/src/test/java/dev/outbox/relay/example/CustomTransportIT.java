package dev.outbox.relay.example;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.distribution.DistributionIT;
import dev.outbox.relay.testing.Events;
import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.testing.TestDatabase;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's custom transport, built into its own jar, dropped into {@code transports/file/}
 * of a copy of the distribution, and run by the sidecar.
 */
class CustomTransportIT {
    @RegisterExtension
    final RelayDatabase fixture = new RelayDatabase();
    private TestDatabase db;

    @BeforeEach
    void database() {
        db = fixture.db();
    }

    @Test
    void sidecarFindsATransportOnItsClasspathAndDeliversThroughIt(@TempDir Path dir) throws Exception {
        Path relay = dir.resolve("outbox-relay");
        copy(DistributionIT.RELAY_JAR.getParent().resolve("lib"), relay.resolve("lib"));
        Files.copy(DistributionIT.RELAY_JAR, relay.resolve("relay.jar"));
        exampleJar(Files.createDirectories(relay.resolve("transports/file")).resolve("file-transport.jar"));
        Path log = dir.resolve("events.log");
        Events.insert(db, 20, 4, "OrderPlaced");

        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx256m", "-jar", relay.resolve("relay.jar").toString(), "run")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("sidecar.log").toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("OUTBOX_"));
        builder.environment().put("OUTBOX_JDBC_URL", db.jdbcUrl() + "&options=-c%20role%3Doutbox_relay");
        builder.environment().put("OUTBOX_TRANSPORT", "file");
        builder.environment().put("OUTBOX_FILE_PATH", log.toString());
        builder.environment().put("OUTBOX_HTTP_PORT", "0");
        Process sidecar = builder.start();
        try {
            Events.awaitAllPublished(db, Duration.ofSeconds(60));
        } finally {
            sidecar.destroy();
            assertThat(sidecar.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(sidecar.exitValue()).as(Files.readString(dir.resolve("sidecar.log"))).isZero();
        assertThat(Files.readAllLines(log)).hasSize(20).allMatch(line -> line.contains(" OrderPlaced {\"n\": "));
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    /** Packages the example's classes with their META-INF/services entry, as a user would. */
    private static Path exampleJar(Path jar) throws IOException {
        Path classes = Path.of("target/test-classes");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
             Stream<Path> files = Files.list(classes.resolve("dev/outbox/relay/example"))) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("FileTransport")).toList()) {
                add(out, classes.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
            }
            add(out, "META-INF/services/dev.outbox.relay.spi.TransportFactory",
                    "dev.outbox.relay.example.FileTransport$Factory\n".getBytes(StandardCharsets.UTF_8));
        }
        return jar;
    }

    private static void add(JarOutputStream jar, String name, byte[] content) throws IOException {
        jar.putNextEntry(new JarEntry(name));
        OutputStream out = jar;
        out.write(content);
        jar.closeEntry();
    }
}
