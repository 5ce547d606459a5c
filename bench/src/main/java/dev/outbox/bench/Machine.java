package dev.outbox.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What the report says about the machine: cores, load, memory, versions of what ran. */
public final class Machine {
    private Machine() {
    }

    /** The 1, 5 and 15 minute load averages ({@code /proc/loadavg}), or "unknown". */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + ", " + f[1] + ", " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    public static Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("cores", String.valueOf(Runtime.getRuntime().availableProcessors()));
        m.put("memory", memory());
        m.put("OS", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        m.put("Java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("JVM heap max", Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB");
        return m;
    }

    private static String memory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(line.replaceAll("\\D+", ""));
                    return String.format(java.util.Locale.ROOT, "%.1f GiB", kb / 1024.0 / 1024.0);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return "unknown";
    }

    /** The implementation version of the jar that holds {@code type}, e.g. kafka-clients' "4.4.0". */
    public static String versionOf(Class<?> type) {
        Package p = type.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        if (v != null) {
            return v;
        }
        String jar = type.getProtectionDomain().getCodeSource() == null ? ""
                : type.getProtectionDomain().getCodeSource().getLocation().getPath();
        String name = jar.substring(jar.lastIndexOf('/') + 1).replaceAll("\\.jar$", "");
        return name.matches(".*-\\d.*") ? name.replaceAll("^.*?-(\\d.*)$", "$1") : "unknown";
    }

    /**
     * The command lines of running processes that contain {@code marker}, for finding what runs
     * an emulator or a broker (e.g. the Pub/Sub emulator's jar name carries its version).
     */
    public static List<String> commandLines(String marker) {
        List<String> found = new ArrayList<>();
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(d -> d.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ').trim();
                    if (cmd.contains(marker)) {
                        found.add(cmd);
                    }
                } catch (IOException | RuntimeException gone) {
                    // the process ended
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return found;
    }

    /** The first line a command prints, or "unknown" (within 10 s). */
    public static String output(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0 || out.isEmpty()) {
                return "unknown";
            }
            return out.lines().findFirst().orElse("unknown");
        } catch (IOException | RuntimeException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
