package dev.outbox.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A child process of the suite (a relay, a broker). Every process is recorded in
 * {@code <work>/pids/<name>.pid} as "pid marker", so that {@code scripts/chaos} can kill what a
 * killed run left behind: it kills a recorded pid only if the process's command line still
 * contains the marker (a reused pid belongs to someone else).
 */
final class Proc implements AutoCloseable {
    private final String name;
    private final Process process;

    private Proc(String name, Process process) {
        this.name = name;
        this.process = process;
    }

    /** Starts {@code command} with stdout and stderr appended to {@code log}; {@code env} is added to (or removes, when a value is null) the inherited environment. */
    static Proc start(Lab lab, String name, List<String> command, Map<String, String> env, String marker) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(lab.root.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(lab.logFile(name).toFile()));
        Map<String, String> environment = builder.environment();
        // A relay refuses unknown OUTBOX_* keys, and the caller's own settings must not leak in.
        environment.keySet().removeIf(key -> key.startsWith("OUTBOX_"));
        env.forEach((key, value) -> {
            if (value == null) {
                environment.remove(key);
            } else {
                environment.put(key, value);
            }
        });
        try {
            Process process = builder.start();
            record(lab, name, process.pid(), marker);
            return new Proc(name, process);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + " (" + command.get(0) + "): " + e.getMessage(), e);
        }
    }

    /** Writes the pid file that lets the next run clean up after a killed one. */
    static void record(Lab lab, String name, long pid, String marker) {
        try {
            Files.writeString(lab.work.resolve("pids").resolve(name + ".pid"), pid + " " + marker + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** SIGKILL (the JDK's forcible destroy is SIGKILL on Linux); returns once the process is gone. */
    void kill9() {
        process.destroyForcibly();
        waitFor(Duration.ofSeconds(30));
    }

    /** SIGTERM (the JDK's plain destroy on Linux); does not wait. */
    void term() {
        process.destroy();
    }

    /** The exit code, or -1 if the process is still running after {@code timeout}. */
    int waitFor(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill9();
        }
    }

    /** Runs a command to completion (initdb, pg_ctl, kafka.sh), failing with its output if it fails. */
    static String run(Lab lab, Duration timeout, Map<String, String> env, String... command) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(lab.root.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeout);
            }
            String text = new String(out);
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed (exit " + process.exitValue() + "):\n" + text);
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command[0] + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
