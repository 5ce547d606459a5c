package dev.outbox.relay.sidecar;

import dev.outbox.core.OutboxException;
import dev.outbox.core.internal.JsonFactories;
import dev.outbox.relay.RelayState;
import dev.outbox.relay.RelayStats;
import dev.outbox.relay.internal.LogFields;
import dev.outbox.relay.ops.DeadEvent;
import dev.outbox.relay.ops.Operations;
import dev.outbox.relay.ops.QueueState;
import dev.outbox.relay.ops.ReplayRequest;
import dev.outbox.relay.ops.ReplayResult;
import dev.outbox.relay.ops.StatusReport;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.lang.System.Logger.Level;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The operator console under {@code /console}: a page (HTML, script and style from the sidecar's
 * resources, nothing from elsewhere) and the JSON it reads and posts to.
 *
 * <p><b>Nothing here blocks the server thread.</b> The page's overview (history, relays, this relay's
 * state) is answered from memory: one worker thread samples the gauges and the relay instances
 * every {@link ConsoleHistory#INTERVAL}. Requests that need the database (dead events, actions) run
 * on that same worker, at most {@link #MAX_QUEUED} at a time (else 503), each bounded by
 * {@link #DATABASE_TIMEOUT} (then 503: the database did not answer); a replay runs on a thread of
 * its own, one at a time, and the page polls its progress from memory. So the console uses at most
 * two connections of the pool besides the relay's and the health check's.
 *
 * <p><b>Security.</b> Everything is readable (like {@code /metrics}); actions need the configured
 * token ({@link ConsoleAuth}) and are logged with what was done and by whom (bearer or a session's
 * prefix), never the token. Every answer carries a strict Content-Security-Policy (scripts and
 * styles only from this server, no inline code, no framing), {@code nosniff} and no referrer;
 * the page builds its DOM from text only, so types, keys, errors and payloads cannot inject markup.
 */
final class Console implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.outbox.relay.sidecar");
    static final String PREFIX = "/console";
    static final String API = PREFIX + "/api/";
    static final Duration DATABASE_TIMEOUT = Duration.ofSeconds(10);
    static final int MAX_QUEUED = 16;
    static final int DEAD_LIST_LIMIT = 500;
    /** How long a replay's delivery is followed for the page (one count a second), at most. */
    static final Duration REPLAY_FOLLOW = Duration.ofMinutes(30);
    private static final String JSON = "application/json";
    private static final Map<String, String> SECURITY_HEADERS = Map.of(
            "Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
                    + " connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            "X-Content-Type-Options", "nosniff",
            "Referrer-Policy", "no-referrer",
            "X-Frame-Options", "DENY");
    /** Static files: path → (content type, resource name). */
    private static final Map<String, String[]> FILES = Map.of(
            PREFIX, new String[] {"text/html; charset=utf-8", "console.html"},
            PREFIX + "/", new String[] {"text/html; charset=utf-8", "console.html"},
            PREFIX + "/console.js", new String[] {"text/javascript; charset=utf-8", "console.js"},
            PREFIX + "/console.css", new String[] {"text/css; charset=utf-8", "console.css"},
            PREFIX + "/icon.svg", new String[] {"image/svg+xml", "icon.svg"});

    private final Operations operations;
    private final Supplier<RelayStats> stats;
    private final ConsoleAuth auth;
    private final UnaryOperator<String> redact;
    private final Clock clock;
    private final ConsoleHistory history;
    private final Map<String, String[]> files;
    private final ScheduledExecutorService worker;
    private final ExecutorService replays;
    private final AtomicInteger queued = new AtomicInteger();
    private volatile List<StatusReport.RelayInstance> relays = List.of();
    private volatile String relaysError;
    private volatile Instant relaysAt;
    private volatile Instant lastBatchAt;
    private volatile long lastBatches = -1;
    private volatile ReplayJob replay;

    /** A replay started from the page; its fields are written by the replay thread, read by polls. */
    private static final class ReplayJob {
        final String id = UUID.randomUUID().toString();
        final ReplayRequest request;
        final String who;
        volatile String state = "counting"; // counting, requeueing, delivering, done, failed
        volatile long total = -1;
        volatile long requeued;
        volatile long pending = -1;
        volatile String error;
        /** Set when a newer replay starts: this one stops following its delivery. */
        volatile boolean superseded;

        ReplayJob(ReplayRequest request, String who) {
            this.request = request;
            this.who = who;
        }

        JsonObject toJson() {
            JsonObjectBuilder o = JsonFactories.objectBuilder().add("id", id).add("state", state)
                    .add("from", request.from().toString()).add("to", request.to().toString())
                    .add("total", total).add("requeued", requeued).add("pending", pending);
            if (request.type() != null) {
                o.add("type", request.type());
            }
            if (request.aggregateType() != null) {
                o.add("aggregateType", request.aggregateType());
            }
            if (error != null) {
                o.add("error", error);
            }
            return o.build();
        }
    }

    private Console(Operations operations, Supplier<RelayStats> stats, String token, UnaryOperator<String> redact,
                    Clock clock) {
        this.operations = operations;
        this.stats = stats;
        this.auth = new ConsoleAuth(token, clock);
        this.redact = redact;
        this.clock = clock;
        this.history = new ConsoleHistory(clock.instant());
        this.files = loadFiles();
        this.worker = Executors.newSingleThreadScheduledExecutor(daemon("outbox-relay-console"));
        // One thread: replays run one after the other; a following one waits for the previous to stop following.
        this.replays = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                new java.util.concurrent.ArrayBlockingQueue<>(1), daemon("outbox-relay-console-replay"));
    }

    /**
     * Starts sampling.
     *
     * @param token the console's token, {@code null} for a read-only console
     */
    static Console start(Operations operations, Supplier<RelayStats> stats, String token, UnaryOperator<String> redact,
                         Clock clock) {
        Console console = new Console(operations, stats, token, redact, clock);
        console.worker.scheduleWithFixedDelay(console::sample, 0, ConsoleHistory.INTERVAL.toMillis(),
                TimeUnit.MILLISECONDS);
        return console;
    }

    @Override
    public void close() {
        worker.shutdownNow();
        replays.shutdownNow();
    }

    // ---------------------------------------------------------------------------- sampling

    private void sample() {
        RelayStats s = stats.get();
        Instant now = clock.instant();
        if (lastBatches >= 0 && s.batches() != lastBatches) {
            lastBatchAt = now; // within one sampling interval: the relay keeps no time of its last batch
        }
        lastBatches = s.batches();
        long backlog = -1;
        double oldest = -1;
        long dead = -1;
        try {
            QueueState queue = operations.queue();
            backlog = queue.backlog();
            oldest = queue.oldestUndeliveredAge().map(d -> d.toMillis() / 1000.0).orElse(0.0);
            dead = queue.dead();
            relays = operations.relayInstances();
            relaysAt = now;
            relaysError = null;
            if (!history.backfilled()) {
                history.backfill(operations.perMinute(history.started().minus(ConsoleHistory.WINDOW)));
            }
        } catch (OutboxException | IllegalStateException e) {
            relaysError = redact.apply(e.getMessage());
        } catch (RuntimeException e) {
            // a bug: logged, and sampling must go on
            relaysError = redact.apply(String.valueOf(e));
            LOG.log(Level.WARNING, "console sample failed {0}", LogFields.of("error", relaysError));
        }
        history.add(new ConsoleHistory.Sample(now, backlog, oldest, dead, s.published(), s.failed(), s.dead()));
    }

    // ---------------------------------------------------------------------------- requests

    /** Answers a request under {@link #PREFIX}. */
    CompletionStage<ProbeServer.Response> handle(ProbeServer.Request request) {
        return route(request).thenApply(Console::secured);
    }

    private CompletionStage<ProbeServer.Response> route(ProbeServer.Request request) {
        String path = request.path();
        String method = request.method();
        String[] file = files.get(path);
        if (file != null) {
            if (!method.equals("GET") && !method.equals("HEAD")) {
                return notAllowed("GET, HEAD");
            }
            String etag = "\"" + file[2] + "\"";
            if (etag.equals(request.header("if-none-match"))) {
                return new ProbeServer.Response(304, file[0], "", Map.of("ETag", etag, "Cache-Control", "no-cache")).done();
            }
            // no-cache: revalidated on each load (an upgraded sidecar serves its new page at once), 304 when unchanged
            return new ProbeServer.Response(200, file[0], file[1], Map.of("ETag", etag, "Cache-Control", "no-cache")).done();
        }
        if (!path.startsWith(API)) {
            return error(404, "not found").done();
        }
        String api = path.substring(API.length());
        if (method.equals("GET") || method.equals("HEAD")) {
            return switch (api) {
                case "overview" -> ok(overview(request)).done();
                case "replay" -> {
                    ReplayJob job = replay;
                    yield ok(job == null ? JsonFactories.objectBuilder().add("state", "none").build() : job.toJson()).done();
                }
                case "dead" -> onWorker(() -> deadList(request.query()));
                default -> {
                    if (api.startsWith("dead/")) {
                        UUID id = uuid(api.substring(5));
                        if (id != null) {
                            yield onWorker(() -> operations.deadEvent(id)
                                    .map(d -> ok(d.toJson()))
                                    .orElseGet(() -> error(404, "no dead event has id " + id)));
                        }
                    }
                    yield error(404, "not found").done();
                }
            };
        }
        if (!method.equals("POST")) {
            return notAllowed("GET, HEAD, POST");
        }
        if (api.equals("login")) {
            return login(request).done();
        }
        if (api.equals("logout")) {
            auth.logout(request);
            return ok(JsonFactories.objectBuilder().add("signedIn", false).build())
                    .with("Set-Cookie", ConsoleAuth.COOKIE + "=; Path=" + PREFIX + "; Max-Age=0; HttpOnly; SameSite=Strict")
                    .done();
        }
        ConsoleAuth.Decision decision = auth.authorize(request);
        if (decision.problem() != null) {
            LOG.log(Level.WARNING, "console action refused {0}", LogFields.of("path", path, "reason", decision.problem()));
            return error(decision.status(), decision.problem()).done();
        }
        String who = decision.who();
        if (api.equals("dead/retry-all")) {
            return onWorker(() -> {
                int n = operations.retryAllDead();
                LOG.log(Level.INFO, "console action {0}", LogFields.of("action", "retry all dead", "events", n, "by", who));
                return ok(JsonFactories.objectBuilder().add("retried", n).build());
            });
        }
        if (api.equals("replay")) {
            return startReplay(request, who).done();
        }
        if (api.startsWith("dead/")) {
            String[] parts = api.substring(5).split("/");
            UUID id = parts.length == 2 ? uuid(parts[0]) : null;
            if (id != null && parts[1].equals("retry")) {
                return onWorker(() -> {
                    operations.retryDead(id);
                    LOG.log(Level.INFO, "console action {0}", LogFields.of("action", "retry dead", "event_id", id, "by", who));
                    return ok(JsonFactories.objectBuilder().add("retried", 1).build());
                });
            }
            if (id != null && parts[1].equals("discard")) {
                return onWorker(() -> {
                    DeadEvent e = operations.discardDead(id);
                    LOG.log(Level.INFO, "console action {0}", LogFields.of("action", "discard dead", "event_id", id,
                            "type", e.type(), "released", e.heldBack(), "by", who));
                    return ok(JsonFactories.objectBuilder().add("discarded", 1).add("released", e.heldBack()).build());
                });
            }
        }
        return error(404, "not found").done();
    }

    private JsonObject overview(ProbeServer.Request request) {
        RelayStats s = stats.get();
        ConsoleAuth.Session session = auth.session(request);
        JsonObjectBuilder self = JsonFactories.objectBuilder()
                .add("phase", s.state().phase().name())
                .add("state", new RelayState(s.state().phase(), s.state().since().truncatedTo(ChronoUnit.SECONDS),
                        s.state().lastError()).describe())
                .add("connected", s.connected())
                .add("slots", s.ownedSlots().size())
                .add("published", s.published())
                .add("failed", s.failed())
                .add("dead", s.dead())
                .add("batches", s.batches())
                .add("averageBatchSeconds", s.batches() == 0 ? 0 : s.batchSecondsSum() / s.batches());
        Instant batchAt = lastBatchAt;
        if (batchAt != null) {
            self.add("lastBatchAt", batchAt.toString());
        }
        JsonArrayBuilder instances = JsonFactories.arrayBuilder();
        for (StatusReport.RelayInstance r : relays) {
            JsonArrayBuilder slots = JsonFactories.arrayBuilder();
            r.slots().forEach(slots::add);
            JsonObjectBuilder o = JsonFactories.objectBuilder().add("name", r.name()).add("pid", r.pid())
                    .add("phase", r.state() == null ? "UNKNOWN" : r.state().phase().name())
                    .add("state", r.describeState()).add("slots", slots);
            if (r.connectedSince() != null) {
                o.add("connectedSince", r.connectedSince().toString());
            }
            if (r.clientAddress() != null) {
                o.add("clientAddress", r.clientAddress());
            }
            instances.add(o);
        }
        JsonObjectBuilder o = JsonFactories.objectBuilder()
                .add("now", clock.instant().toString())
                .add("window", JsonFactories.objectBuilder()
                        .add("intervalSeconds", ConsoleHistory.INTERVAL.toSeconds())
                        .add("windowSeconds", ConsoleHistory.WINDOW.toSeconds())
                        .add("since", history.started().toString()))
                .add("samples", history.samplesJson())
                .add("backfill", history.backfillJson())
                .add("self", self)
                .add("relays", instances)
                .add("auth", JsonFactories.objectBuilder()
                        .add("actions", auth.actionsEnabled())
                        .add("signedIn", session != null)
                        .add("csrf", session == null ? "" : session.csrf()));
        if (relaysAt != null) {
            o.add("relaysAt", relaysAt.toString());
        }
        if (relaysError != null) {
            o.add("databaseError", relaysError);
        }
        ReplayJob job = replay;
        if (job != null) {
            o.add("replay", job.toJson());
        }
        return o.build();
    }

    private ProbeServer.Response deadList(String query) {
        Map<String, String> q = query(query);
        String type = blankToNull(q.get("type"));
        String aggregateType = blankToNull(q.get("aggregatetype"));
        List<DeadEvent> events = operations.deadEvents(DEAD_LIST_LIMIT, type, aggregateType);
        JsonArrayBuilder a = JsonFactories.arrayBuilder();
        events.forEach(e -> a.add(e.toJson()));
        return ok(JsonFactories.objectBuilder().add("limit", DEAD_LIST_LIMIT).add("events", a).build());
    }

    private ProbeServer.Response login(ProbeServer.Request request) {
        String origin = ConsoleAuth.originProblem(request);
        if (origin != null) {
            return error(403, origin);
        }
        if (!auth.actionsEnabled()) {
            return error(403, "the console is read-only: set " + SidecarConfig.CONSOLE_TOKEN.env() + " to enable actions");
        }
        JsonObject body = jsonBody(request);
        String token = body == null || !body.containsKey("token") || body.isNull("token") ? null : body.getString("token", null);
        ConsoleAuth.Session session = auth.login(token);
        if (session == null) {
            LOG.log(Level.WARNING, "console sign-in refused {0}", LogFields.of("reason", "wrong token"));
            return error(401, "that is not the console's token");
        }
        LOG.log(Level.INFO, "console sign-in {0}", LogFields.of("session", session.label()));
        return ok(JsonFactories.objectBuilder().add("signedIn", true).add("csrf", session.csrf()).build())
                .with("Set-Cookie", ConsoleAuth.COOKIE + "=" + session.id() + "; Path=" + PREFIX + "; Max-Age="
                        + ConsoleAuth.SESSION_LIFETIME.toSeconds() + "; HttpOnly; SameSite=Strict");
    }

    private ProbeServer.Response startReplay(ProbeServer.Request request, String who) {
        JsonObject body = jsonBody(request);
        if (body == null) {
            return error(400, "send a JSON object {\"from\": \"2026-12-03T00:00:00Z\", \"to\": …, \"type\": …, \"aggregateType\": …}");
        }
        ReplayRequest replayRequest;
        try {
            replayRequest = ReplayRequest.between(Instant.parse(body.getString("from", "")), Instant.parse(body.getString("to", "")));
            String type = blankToNull(body.getString("type", null));
            String aggregateType = blankToNull(body.getString("aggregateType", null));
            if (type != null) {
                replayRequest = replayRequest.ofType(type);
            }
            if (aggregateType != null) {
                replayRequest = replayRequest.ofAggregateType(aggregateType);
            }
        } catch (DateTimeParseException e) {
            return error(400, "replay from and to must be ISO-8601 instants such as 2026-12-03T07:00:00Z");
        } catch (OutboxException | ClassCastException e) {
            return error(400, e.getMessage());
        }
        ReplayJob job = new ReplayJob(replayRequest, who);
        ReplayJob running = replay;
        if (running != null && (running.state.equals("counting") || running.state.equals("requeueing"))) {
            return error(409, "a replay is re-queueing events (" + running.requeued + " so far): wait for it to end");
        }
        try {
            replays.execute(() -> runReplay(job));
        } catch (RejectedExecutionException e) {
            return error(409, "a replay is starting: wait for it to end");
        }
        if (running != null) {
            running.superseded = true; // its events are queued; only the page's follow-up ends
        }
        replay = job;
        LOG.log(Level.INFO, "console action {0}", LogFields.of("action", "replay", "request", replayRequest.describe(), "by", who));
        return new ProbeServer.Response(202, JSON, job.toJson().toString(), Map.of());
    }

    private void runReplay(ReplayJob job) {
        try {
            job.total = operations.countReplayable(job.request);
            job.state = "requeueing";
            ReplayResult result = operations.replay(job.request, n -> job.requeued = n);
            job.requeued = result.requeued();
            job.pending = operations.replayPending(result); // before the state: a poll never sees "delivering" without it
            job.state = "delivering";
            // Follow the relays' delivery for the page, a cheap count a second, for a bounded time:
            // with no relay running it would never end. The events stay queued either way.
            long until = System.nanoTime() + REPLAY_FOLLOW.toNanos();
            while (job.pending > 0 && !job.superseded && System.nanoTime() - until < 0) {
                Thread.sleep(1_000);
                job.pending = operations.replayPending(result);
            }
            job.state = "done";
            LOG.log(Level.INFO, "console replay done {0}", LogFields.of("request", job.request.describe(),
                    "requeued", job.requeued, "by", job.who));
        } catch (InterruptedException e) {
            job.error = "stopped with the sidecar";
            job.state = "failed";
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            job.error = redact.apply(e.getMessage());
            job.state = "failed";
            LOG.log(Level.WARNING, "console replay failed {0}", LogFields.of("request", job.request.describe(), "error", job.error));
        }
    }

    /** Runs database work on the worker, bounded in number and time; never on the server thread. */
    private CompletionStage<ProbeServer.Response> onWorker(Supplier<ProbeServer.Response> work) {
        if (queued.incrementAndGet() > MAX_QUEUED) {
            queued.decrementAndGet();
            return error(503, "the console is busy: try again").done();
        }
        CompletableFuture<ProbeServer.Response> future;
        try {
            future = CompletableFuture.supplyAsync(() -> {
                try {
                    return work.get();
                } catch (OutboxException e) {
                    return error(e.getMessage().contains("no dead event") || e.getMessage().contains("not dead") ? 409 : 503,
                            redact.apply(e.getMessage()));
                }
            }, worker);
        } catch (RejectedExecutionException e) {
            queued.decrementAndGet();
            return error(503, "the console is stopping").done();
        }
        future.whenComplete((r, e) -> queued.decrementAndGet());
        return future.orTimeout(DATABASE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).exceptionally(e -> {
            if (e instanceof TimeoutException || e.getCause() instanceof TimeoutException) {
                return error(503, "the database did not answer within " + DATABASE_TIMEOUT.toSeconds() + "s");
            }
            LOG.log(Level.WARNING, "console request failed {0}", LogFields.of("error", redact.apply(String.valueOf(e))));
            return error(500, "internal error");
        });
    }

    private static ProbeServer.Response secured(ProbeServer.Response r) {
        Map<String, String> headers = new java.util.LinkedHashMap<>(SECURITY_HEADERS);
        headers.putAll(r.headers());
        return new ProbeServer.Response(r.status(), r.contentType(), r.body(), headers);
    }

    private static ProbeServer.Response ok(JsonObject body) {
        return ProbeServer.Response.of(200, JSON, body.toString());
    }

    private static ProbeServer.Response error(int status, String message) {
        return ProbeServer.Response.of(status, JSON, JsonFactories.objectBuilder().add("error", message).build().toString());
    }

    private static CompletionStage<ProbeServer.Response> notAllowed(String allow) {
        return error(405, "method not allowed").with("Allow", allow).done();
    }

    private static JsonObject jsonBody(ProbeServer.Request request) {
        try (JsonReader reader = Json.createReader(new StringReader(new String(request.body(), StandardCharsets.UTF_8)))) {
            return reader.readObject();
        } catch (JsonException | IllegalStateException e) {
            return null;
        }
    }

    private static UUID uuid(String text) {
        try {
            return text.length() == 36 ? UUID.fromString(text) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static Map<String, String> query(String query) {
        Map<String, String> q = new java.util.HashMap<>();
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                try {
                    q.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                    // a malformed escape: the parameter is ignored
                }
            }
        }
        return q;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    /** The page's files, with an ETag each, read once: answering must not touch the disk. */
    private static Map<String, String[]> loadFiles() {
        Map<String, String[]> loaded = new java.util.HashMap<>();
        FILES.forEach((path, f) -> {
            try (InputStream in = Console.class.getResourceAsStream("console/" + f[1])) {
                if (in == null) {
                    throw new IllegalStateException("console resource missing: " + f[1]);
                }
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                String etag = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                        .digest(text.getBytes(StandardCharsets.UTF_8)), 0, 8);
                loaded.put(path, new String[] {f[0], text, etag});
            } catch (IOException | NoSuchAlgorithmException e) {
                throw new IllegalStateException("console resource unreadable: " + f[1], e);
            }
        });
        return Map.copyOf(loaded);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
