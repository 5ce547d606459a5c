package dev.outbox.relay.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/try-relay} hands the relay a configuration it accepts. The script's tools
 * (pg_isready, psql, mvn, java) are stand-ins on the PATH; the {@code java} one records the
 * environment the relay would have started with, which the real configuration parser then reads.
 */
class TryRelayScriptTest {
    private static final Path SCRIPT = Path.of("..", "..", "scripts", "try-relay").toAbsolutePath().normalize();

    @TempDir
    Path bin;

    @Test
    void startsTheRelayWithAnEnvironmentItAcceptsWhenOutboxDemoDbIsSet() throws Exception {
        Path seen = bin.resolve("relay-env");
        tool("pg_isready", "exit 0");
        tool("mvn", "exit 0");
        tool("psql", "echo 1"); // "the database and the schema exist"
        tool("java", "env > '" + seen + "'");
        ProcessBuilder builder = new ProcessBuilder("bash", SCRIPT.toString())
                .redirectErrorStream(true)
                .redirectOutput(bin.resolve("script-output").toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("OUTBOX_"));
        builder.environment().put("PATH", bin + ":/usr/bin:/bin");
        builder.environment().put("OUTBOX_DEMO_DB", "my_demo");

        Process script = builder.start();

        assertThat(script.waitFor(60, TimeUnit.SECONDS)).as("try-relay finished").isTrue();
        assertThat(script.exitValue()).as(Files.readString(bin.resolve("script-output"))).isZero();
        Map<String, String> env = new TreeMap<>();
        Files.readAllLines(seen, StandardCharsets.UTF_8).stream().filter(l -> l.startsWith("OUTBOX_"))
                .forEach(l -> env.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1)));
        assertThat(env.get(SidecarConfig.JDBC_URL.env())).contains("/my_demo?");
        assertThatCode(() -> SidecarConfig.load(env, null, TransportPlugins.installed()))
                .as("the relay's configuration check of %s", env).doesNotThrowAnyException();
    }

    private void tool(String name, String body) throws IOException {
        Path file = bin.resolve(name);
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
