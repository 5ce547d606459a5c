package dev.outbox.bench.writer;

import com.gruelbox.transactionoutbox.Dialect;
import com.gruelbox.transactionoutbox.Persistor;
import com.gruelbox.transactionoutbox.ThreadLocalContextTransactionManager;
import com.gruelbox.transactionoutbox.TransactionManager;
import com.gruelbox.transactionoutbox.TransactionOutbox;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.core.Outbox;
import dev.outbox.core.OutboxEvent;
import dev.outbox.core.internal.UuidV7;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The writer against its ceiling and a peer, on one PostgreSQL server in one run: N threads each
 * commit transactions of one business row plus one event (a ~1 KB JSON payload and a
 * {@code traceparent} header), written
 * <ul>
 *   <li>{@value #WRITER}: with {@code OutboxEvent.builder(…).payload(String).traceparent(…).build()}
 *       and {@link Outbox#append}, from the same JSON text a hand-written writer sends;</li>
 *   <li>{@value #HAND}: with a hand-written {@code INSERT INTO outbox.event (…) VALUES (…, ?::jsonb,
 *       ?::jsonb, ?)} of the same columns (the same UUIDv7 generator for the id, the headers
 *       object concatenated as text), no validation;</li>
 *   <li>{@value #GRUELBOX}: with gruelbox transaction-outbox's {@code schedule(Publisher.class)
 *       .publish(…)} of the same values, in its own table; its submitter is a no-op, so only the
 *       write is measured, not its immediate delivery attempt after commit.</li>
 * </ul>
 * Rounds are interleaved (the order rotates each round), every table is emptied and a CHECKPOINT
 * taken before each run, and ratios are taken per round. Besides tps it reports the writer
 * threads' CPU time per transaction and, when the server's {@code /proc} is readable (a local
 * server), the backends' CPU time per transaction: both are less disturbed by other load than tps.
 *
 * <p>Works in a scratch database {@code outbox_bench_writer_<random>} created from {@code sql/}
 * and dropped at the end. Needs a role that may create databases. Run it with
 * {@code scripts/bench writer} ({@link WriterScenario}).
 */
public final class WriterBench {
    public static final String WRITER = "writer";
    public static final String HAND = "hand";
    public static final String GRUELBOX = "gruelbox";
    static final List<String> VARIANTS = List.of(WRITER, HAND, GRUELBOX);

    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private static final String HEADERS = "{\"traceparent\": \"" + TRACEPARENT + "\"}";
    private static final String INSERT_ORDER = "INSERT INTO orders (id, customer, total) VALUES (?, ?, ?)";
    private static final String INSERT_EVENT = "INSERT INTO outbox.event"
            + " (id, aggregatetype, aggregateid, type, payload, headers, occurred_at)"
            + " VALUES (?, ?, ?, ?, ?::jsonb, ?::jsonb, ?)";
    private static final Pattern URL = Pattern.compile("(jdbc:postgresql://[^/?]+/)([^?]*)(\\?.*)?");
    private static final Pattern MIGRATION = Pattern.compile("V(\\d+)__.+\\.sql");
    // An order of ten lines, as an application would serialise it; the id makes each one differ.
    private static final String PAYLOAD_HEAD = "{\"orderId\": \"";
    private static final String PAYLOAD_TAIL;

    static {
        StringBuilder tail = new StringBuilder("\", \"customer\": {\"id\": \"c-7\", \"email\": \"someone@example.com\"},"
                + " \"total\": 99.50, \"currency\": \"EUR\", \"lines\": [");
        for (int i = 1; i <= 10; i++) {
            tail.append(i > 1 ? ", " : "").append("{\"sku\": \"SKU-").append(i).append("\", \"qty\": ").append(i % 5 + 1)
                    .append(", \"price\": 9.95, \"name\": \"A product with a name of some length\"}");
        }
        PAYLOAD_TAIL = tail.append("]}").toString();
    }

    /** The gruelbox side: a method call recorded by {@code schedule()}, never run here. */
    public interface Publisher {
        void publish(String aggregateType, String aggregateId, String type, String payload, String traceparent);
    }

    /** Settings: the server (a superuser's URL), {@code sql/}, threads, rounds, seconds per run and of warm-up. */
    public record Options(String url, Path sqlDir, int threads, int rounds, double seconds, double warmup) {
        public Options {
            if (threads < 1 || rounds < 1 || seconds <= 0 || warmup < 0) {
                throw new IllegalArgumentException("threads, rounds and seconds must be >= 1, warmup >= 0");
            }
        }
    }

    @FunctionalInterface
    private interface Transaction {
        void run(long orderId) throws Exception;
    }

    private final Options options;
    private final PrintStream progress;
    private final AtomicLong orderIds = new AtomicLong();
    private final ThreadMXBean cpu = ManagementFactory.getThreadMXBean();

    public WriterBench(Options options, PrintStream progress) {
        this.options = options;
        this.progress = progress;
    }

    /** Creates the scratch database, runs warm-up and the rounds, drops the database. */
    public WriterBenchResult run() throws Exception {
        Matcher url = URL.matcher(options.url());
        if (!url.matches()) {
            throw new IllegalArgumentException("the URL must look like jdbc:postgresql://host:port/db?params (was "
                    + options.url().replaceAll("password=[^&]*", "password=***") + ")");
        }
        String name = "outbox_bench_writer_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        String dbUrl = url.group(1) + name + (url.group(3) == null ? "" : url.group(3));
        boolean rolesExisted;
        try (Connection admin = DriverManager.getConnection(options.url()); Statement s = admin.createStatement()) {
            rolesExisted = count(s, "SELECT count(*) FROM pg_roles WHERE rolname IN ('outbox_app', 'outbox_relay')") > 0;
            s.execute("CREATE DATABASE " + name + " TEMPLATE template0");
        }
        try {
            return measure(dbUrl);
        } finally {
            try (Connection admin = DriverManager.getConnection(options.url()); Statement s = admin.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
                if (!rolesExisted) {
                    try {
                        s.execute("DROP ROLE IF EXISTS outbox_app, outbox_relay");
                    } catch (SQLException stillUsed) {
                        // another database of the server now has grants to them: they stay
                    }
                }
            }
        }
    }

    private WriterBenchResult measure(String dbUrl) throws Exception {
        try (Connection admin = DriverManager.getConnection(dbUrl); Statement s = admin.createStatement()) {
            for (Path file : migrations()) {
                s.execute(Files.readString(file));
            }
            s.execute("CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, total numeric NOT NULL,"
                    + " created_at timestamptz NOT NULL DEFAULT now())");
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(dbUrl);
            config.setMaximumPoolSize(options.threads());
            config.setMinimumIdle(options.threads());
            config.setAutoCommit(false);
            config.setPoolName("writer-bench");
            try (HikariDataSource pool = new HikariDataSource(config)) {
                ThreadLocalContextTransactionManager transactions = TransactionManager.fromDataSource(pool);
                TransactionOutbox gruelbox = TransactionOutbox.builder()
                        .transactionManager(transactions)
                        .persistor(Persistor.forDialect(Dialect.POSTGRESQL_9))
                        .submitter((entry, localExecutor) -> { }) // the write only: no delivery after commit
                        .build();
                Outbox outbox = Outbox.create();
                Map<String, Transaction> variants = Map.of(
                        WRITER, id -> writer(pool, outbox, id),
                        HAND, id -> hand(pool, id),
                        GRUELBOX, id -> transactions.inTransactionThrows(tx -> {
                            insertOrder(tx.connection(), id);
                            gruelbox.schedule(Publisher.class)
                                    .publish("Order", Long.toString(id), "OrderPlaced", payload(id), TRACEPARENT);
                        }));
                for (String variant : VARIANTS) {
                    if (options.warmup() > 0) {
                        Run warm = runOnce(admin, variants.get(variant), options.warmup());
                        progress.printf(Locale.ROOT, "warm-up %-9s %,8.0f tps%n", variant, warm.transactions / warm.seconds);
                    }
                }
                List<WriterBenchResult.Run> runs = new ArrayList<>();
                for (int round = 1; round <= options.rounds(); round++) {
                    for (int i = 0; i < VARIANTS.size(); i++) {
                        String variant = VARIANTS.get((i + round - 1) % VARIANTS.size());
                        Run run = runOnce(admin, variants.get(variant), options.seconds());
                        WriterBenchResult.Run measured = new WriterBenchResult.Run(variant, round, run.transactions,
                                run.seconds, run.clientCpuNanos / 1e3 / run.transactions,
                                run.serverCpuTicks < 0 ? Double.NaN : run.serverCpuTicks * 1e4 / run.transactions);
                        runs.add(measured);
                        progress.printf(Locale.ROOT, "round %d %-9s %,8.0f tps, client %.1f µs/tx, server %.1f µs/tx%n",
                                round, variant, measured.tps(), measured.clientCpuMicrosPerTx(),
                                measured.serverCpuMicrosPerTx());
                    }
                }
                String payload = payload(1);
                return new WriterBenchResult(options.threads(), options.seconds(), payload.length(), runs);
            }
        }
    }

    private static void writer(HikariDataSource pool, Outbox outbox, long id) throws SQLException {
        try (Connection c = pool.getConnection()) {
            insertOrder(c, id);
            outbox.append(c, OutboxEvent.builder("Order", Long.toString(id), "OrderPlaced")
                    .payload(payload(id)).traceparent(TRACEPARENT).build());
            c.commit();
        }
    }

    private static void hand(HikariDataSource pool, long id) throws SQLException {
        try (Connection c = pool.getConnection()) {
            insertOrder(c, id);
            try (PreparedStatement insert = c.prepareStatement(INSERT_EVENT)) {
                insert.setObject(1, UuidV7.system().next());
                insert.setString(2, "Order");
                insert.setString(3, Long.toString(id));
                insert.setString(4, "OrderPlaced");
                insert.setString(5, payload(id));
                insert.setString(6, HEADERS);
                insert.setObject(7, OffsetDateTime.now(ZoneOffset.UTC));
                insert.executeUpdate();
            }
            c.commit();
        }
    }

    private static void insertOrder(Connection c, long id) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement(INSERT_ORDER)) {
            insert.setLong(1, id);
            insert.setString(2, "c-7");
            insert.setBigDecimal(3, new java.math.BigDecimal("99.50"));
            insert.executeUpdate();
        }
    }

    static String payload(long id) {
        return PAYLOAD_HEAD + id + PAYLOAD_TAIL;
    }

    private record Run(long transactions, double seconds, long clientCpuNanos, long serverCpuTicks) {
    }

    /** One run: empty tables, checkpoint, then every thread commits transactions until the time is up. */
    private Run runOnce(Connection admin, Transaction transaction, double seconds) throws Exception {
        try (Statement s = admin.createStatement()) {
            s.execute("TRUNCATE orders, outbox.event, txno_outbox");
            s.execute("CHECKPOINT");
        }
        List<Integer> backends = backends(admin);
        long serverBefore = serverTicks(backends);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong done = new AtomicLong();
        AtomicLong cpuNanos = new AtomicLong();
        AtomicReference<Exception> failure = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < options.threads(); t++) {
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                    long cpuStart = cpu.getCurrentThreadCpuTime();
                    long n = 0;
                    while (!stop.get()) {
                        transaction.run(orderIds.incrementAndGet());
                        n++;
                    }
                    cpuNanos.addAndGet(cpu.getCurrentThreadCpuTime() - cpuStart);
                    done.addAndGet(n);
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                    stop.set(true);
                }
            }, "writer-bench-" + t);
            thread.start();
            threads.add(thread);
        }
        long begin = System.nanoTime();
        start.countDown();
        Thread.sleep((long) (seconds * 1000));
        stop.set(true);
        for (Thread thread : threads) {
            thread.join();
        }
        long elapsed = System.nanoTime() - begin;
        long serverAfter = serverTicks(backends);
        if (failure.get() != null) {
            throw new IllegalStateException("a writer thread failed", failure.get());
        }
        return new Run(done.get(), elapsed / 1e9, cpuNanos.get(),
                serverBefore < 0 || serverAfter < 0 ? -1 : serverAfter - serverBefore);
    }

    /** The backends of the scratch database other than the admin connection: the pool's. */
    private static List<Integer> backends(Connection admin) throws SQLException {
        List<Integer> pids = new ArrayList<>();
        try (Statement s = admin.createStatement(); ResultSet rs = s.executeQuery("SELECT pid FROM pg_stat_activity"
                + " WHERE datname = current_database() AND pid <> pg_backend_pid()")) {
            while (rs.next()) {
                pids.add(rs.getInt(1));
            }
        }
        return pids;
    }

    /**
     * Sum of utime + stime of the backends in clock ticks (1/100 s on Linux), from
     * {@code /proc/<pid>/stat}; -1 when that is not readable (a server on another host or in a
     * container).
     */
    private static long serverTicks(List<Integer> pids) {
        long ticks = 0;
        for (int pid : pids) {
            try {
                String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
                if (!stat.contains("(postgres)")) {
                    return -1;
                }
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // fields 14 and 15 of stat
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        }
        return ticks;
    }

    private List<Path> migrations() throws IOException {
        try (Stream<Path> files = Files.list(options.sqlDir())) {
            List<Path> list = files.filter(f -> MIGRATION.matcher(f.getFileName().toString()).matches())
                    .sorted(Comparator.comparingInt(f -> version(f.getFileName().toString())))
                    .toList();
            if (list.isEmpty()) {
                throw new IllegalStateException("no V<n>__*.sql migrations in " + options.sqlDir().toAbsolutePath()
                        + ": run from the project root or pass --sql");
            }
            return list;
        }
    }

    private static int version(String file) {
        Matcher m = MIGRATION.matcher(file);
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    private static long count(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
