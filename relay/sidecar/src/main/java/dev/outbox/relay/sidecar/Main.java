package dev.outbox.relay.sidecar;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code relay.jar}: {@code java -jar relay.jar <command>}. {@code run} starts the
 * sidecar ({@link RunCommand}); operator commands are registered in {@link Command#subcommands()}
 * below.
 *
 * <p>Exit codes, for scripts and orchestrators:
 * <ul>
 *   <li>{@value #EXIT_OK}: success; {@code run} stopped cleanly after SIGTERM/SIGINT;</li>
 *   <li>{@value #EXIT_FAILURE}: runtime failure (HTTP port in use, unexpected error);</li>
 *   <li>{@value #EXIT_USAGE}: invalid command line (unknown command or option);</li>
 *   <li>{@value #EXIT_CONFIGURATION}: invalid configuration: one {@code configuration error: …}
 *       line per problem on stderr, naming the key, the rule and the value;</li>
 *   <li>{@value #EXIT_CHECK_FAILED}: {@code status --check} found a problem (one line per failed check).</li>
 * </ul>
 * {@link #execute} never calls {@link System#exit}, so tests run commands in-process.
 */
@Command(name = "relay",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Transactional outbox relay: forwards committed outbox events to a broker.",
        subcommands = {RunCommand.class, StatusCommand.class, DeadCommand.class, ReplayCommand.class,
            PurgeCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success; `run` stopped cleanly after SIGTERM/SIGINT",
            "1:runtime failure (HTTP port in use, an operator command that failed: message on stderr)",
            "2:invalid command line (unknown command or option)",
            "3:invalid configuration (stderr: one `configuration error:` line per problem)",
            "4:`status --check` found a problem (dead events, old backlog, no live relay)"},
        footer = "%nConfiguration: OUTBOX_* environment variables and/or a properties file (run --config)."
                + " See `relay run --help`.")
public final class Main implements Callable<Integer> {
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_CONFIGURATION = 3;
    /** {@code relay status --check}: a check failed. */
    public static final int EXIT_CHECK_FAILED = 4;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    private Main() {
    }

    public static void main(String[] args) {
        CountDownLatch stop = new CountDownLatch(1);
        int code = execute(args, new SidecarContext(System.getenv(), System.out, System.err,
                TransportPlugins.installed(), stop));
        System.exit(code);
    }

    /**
     * Runs one command line in this JVM and returns its exit code; never exits the JVM.
     *
     * @param env the environment to read {@code OUTBOX_*} keys from
     */
    public static int execute(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        return execute(args, new SidecarContext(env, out, err, TransportPlugins.installed(),
                new CountDownLatch(1)));
    }

    static int execute(String[] args, SidecarContext context) {
        CommandLine commandLine = new CommandLine(new Main(), new Factory(context));
        commandLine.setOut(new PrintWriter(context.out(), true, Charset.defaultCharset()));
        commandLine.setErr(new PrintWriter(context.err(), true, Charset.defaultCharset()));
        // The key list comes from the declarations (sidecar, relay, each installed transport); it
        // is rendered only when help is shown, so that a plain start opens no transport folder.
        commandLine.getSubcommands().get("run").getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER,
                help -> String.format("%nConfiguration (environment variables; the same keys in the --config file; env"
                        + " wins; unknown OUTBOX_* keys are errors; durations: 500ms, 10s, 5m, 2h, 7d or PT10S):%n")
                        + SidecarConfig.help(context.transports()));
        return commandLine.execute(args);
    }

    /** {@code relay} without a command: show the usage and fail like any other usage error. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return EXIT_USAGE;
    }

    /** Gives commands their {@link SidecarContext}; picocli creates everything else. */
    private record Factory(SidecarContext context) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> type) throws Exception {
            // Commands that take the context get it; picocli builds the rest itself.
            try {
                var constructor = type.getDeclaredConstructor(SidecarContext.class);
                return constructor.newInstance(context);
            } catch (NoSuchMethodException noContext) {
                return CommandLine.defaultFactory().create(type);
            }
        }
    }

    /** The version from the jar manifest, when there is one. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"outbox relay " + (version == null ? "(development build)" : version)};
        }
    }
}
