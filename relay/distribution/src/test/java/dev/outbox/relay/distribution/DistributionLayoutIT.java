package dev.outbox.relay.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The distribution's layout (relay.jar's class path is lib/, each transport's folder holds what
 * only it needs) and the README's statement of what an application embedding the engine and one
 * transport gets on its class path, computed from the modules' resolved runtime class paths
 * ({@code target/runtime-classpath.txt}, written at package). Rewrite the README block with
 * {@code -Dreadme.update=true} (see {@link ReadmeConfigurationTest}).
 */
class DistributionLayoutIT {
    static final List<String> TRANSPORTS = List.of("kafka", "rabbitmq", "nats", "redis", "http", "eventbridge", "pubsub", "sqs");
    private static final Path DIST = DistributionIT.RELAY_JAR.getParent();
    private static final Pattern BLOCK = Pattern.compile("(<!-- footprint -->\\n)(.*?)(<!-- /footprint -->)", Pattern.DOTALL);

    @Test
    void relayJarNamesExactlyTheLibrariesInLib() throws IOException {
        Manifest manifest;
        try (JarFile jar = new JarFile(DistributionIT.RELAY_JAR.toFile())) {
            manifest = jar.getManifest();
        }
        assertThat(manifest.getMainAttributes().getValue("Main-Class")).isEqualTo("dev.outbox.relay.sidecar.Main");
        Set<String> classPath = new TreeSet<>(Arrays.asList(manifest.getMainAttributes().getValue("Class-Path").split(" ")));
        assertThat(classPath).isEqualTo(files(DIST.resolve("lib"), "lib/"));
    }

    @Test
    void relayVersionPrintsTheVersionThatEveryOutboxJarCarriesInItsManifest() throws Exception {
        String core = files(DIST.resolve("lib"), "").stream().filter(f -> f.startsWith("outbox-core-")).findFirst()
                .orElseThrow();
        String version = core.substring("outbox-core-".length(), core.length() - ".jar".length());
        Process relay = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                DistributionIT.RELAY_JAR.toString(), "--version").redirectErrorStream(true).start();
        String output;
        try {
            assertThat(relay.waitFor(30, TimeUnit.SECONDS)).as("relay --version exited").isTrue();
            output = new String(relay.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            relay.destroyForcibly();
        }
        assertThat(relay.exitValue()).as(output).isZero();
        assertThat(output.strip()).isEqualTo("outbox relay " + version);
        for (String jar : files(DIST.resolve("lib"), "lib/")) {
            if (jar.startsWith("lib/outbox-")) {
                try (JarFile file = new JarFile(DIST.resolve(jar).toFile())) {
                    assertThat(file.getManifest().getMainAttributes().getValue("Implementation-Version")).as(jar)
                            .isEqualTo(version);
                }
            }
        }
    }

    /**
     * A folder holds its transport and the libraries it needs that lib/ does not: never a second
     * copy of a lib/ jar (the folder's class loader asks lib/ first, so it would be dead weight)
     * and never another transport. Folders may share a library (eventbridge and sqs both carry
     * the AWS SDK's core): each is loaded alone.
     */
    @Test
    void eachTransportFolderHoldsItsOwnTransportAndNothingOfLib() throws IOException {
        Set<String> lib = files(DIST.resolve("lib"), "");
        for (String t : TRANSPORTS) {
            Set<String> own = files(DIST.resolve("transports").resolve(t), "");
            assertThat(own).as("transports/%s", t).filteredOn(f -> f.startsWith("outbox-"))
                    .singleElement().asString().startsWith("outbox-transport-" + t + "-");
            assertThat(own).as("transports/%s repeats lib/", t).doesNotContainAnyElementsOf(lib);
        }
        assertThat(lib).noneMatch(f -> f.startsWith("outbox-transport-"));
    }

    @Test
    void readmeStatesWhatTheEngineAndEachTransportBring() throws IOException {
        StringBuilder table = new StringBuilder("| An application depending on | gets these jars | third-party size |\n"
                + "|---|---|---|\n");
        List<Path> engine = classPath("engine", "outbox-relay");
        table.append(row("`outbox-relay` (the engine)", engine, List.of()));
        for (String t : TRANSPORTS) {
            List<Path> all = classPath("transport-" + t, "outbox-transport-" + t);
            List<Path> added = all.stream().filter(p -> !engine.contains(p)).toList();
            table.append(row("… + `outbox-transport-" + t + "`", all, added));
        }
        String readme = Files.readString(ReadmeConfigurationTest.README);
        Matcher m = BLOCK.matcher(readme);
        assertThat(m.find()).as("README.md has a <!-- footprint --> block").isTrue();
        String expected = readme.substring(0, m.start()) + m.group(1) + table + m.group(3) + readme.substring(m.end());
        if (Boolean.getBoolean("readme.update")) {
            Files.writeString(ReadmeConfigurationTest.README, expected);
            readme = expected;
        }
        assertThat(readme).as("README.md's footprint table; rewrite it with -Dreadme.update=true").isEqualTo(expected);
    }

    /** One row: the jars (those beyond the engine's named after a +) and the size of the third-party ones. */
    private static String row(String who, List<Path> all, List<Path> added) throws IOException {
        List<String> names = new ArrayList<>();
        long bytes = 0;
        for (Path jar : all) {
            if (!jar.getFileName().toString().startsWith("outbox-")) {
                bytes += Files.size(jar);
            }
            if (added.isEmpty() || added.contains(jar)) {
                names.add(artifact(jar));
            }
        }
        String listed = added.isEmpty() ? String.join(", ", names) : "the engine's " + (all.size() - added.size())
                + " + " + String.join(", ", names);
        return "| " + who + " | " + all.size() + ": " + listed + " | " + String.format(Locale.ROOT, "%.1f MB", bytes / 1e6)
                + " |\n";
    }

    /** A module's runtime class path, itself included. */
    private static List<Path> classPath(String module, String artifactId) throws IOException {
        Path target = Path.of("..", module, "target");
        List<Path> jars = new ArrayList<>();
        try (Stream<Path> own = Files.list(target)) {
            own.filter(f -> f.getFileName().toString().matches(Pattern.quote(artifactId) + "-[0-9].*(?<!-sources|-javadoc|-tests)\\.jar"))
                    .forEach(jars::add);
        }
        assertThat(jars).as("%s's jar in %s", artifactId, target).hasSize(1);
        for (String entry : Files.readString(target.resolve("runtime-classpath.txt")).strip().split(java.io.File.pathSeparator)) {
            jars.add(Path.of(entry));
        }
        return jars.stream().map(p -> p.toAbsolutePath().normalize()).toList();
    }

    /** {@code kafka-clients 4.4.0} from {@code kafka-clients-4.4.0.jar}. */
    private static String artifact(Path jar) {
        String name = jar.getFileName().toString().replaceFirst("\\.jar$", "");
        Matcher m = Pattern.compile("(.+?)-(\\d.*)").matcher(name);
        return m.matches() ? m.group(1) + " " + m.group(2) : name;
    }

    private static Set<String> files(Path folder, String prefix) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return new TreeSet<>(files.map(f -> prefix + f.getFileName()).toList());
        }
    }
}
