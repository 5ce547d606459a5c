package dev.outbox.relay.sidecar;

import static dev.outbox.testing.Await.await;
import static dev.outbox.testing.Await.awaitValue;
import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.relay.transport.rabbitmq.RabbitMqTransportFactory;
import dev.outbox.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The console in a real browser (headless Chromium through chromedriver) against {@code relay run}
 * in-process with the RabbitMQ transport on a real broker ({@code OUTBOX_TEST_RABBITMQ_URI}) and a
 * real database: a dead event made by the broker's own refusal is shown, retried from the page
 * once the exchange exists, and read from a queue; another is discarded; requests without the
 * token are refused; a payload with markup stays text. Screenshots go to {@code target/console/}.
 */
class ConsoleIT {
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final Pattern HTTP_PORT = Pattern.compile("\"http_port\":(\\d+)");
    private static final String TOKEN = "console-it-token-" + UUID.randomUUID();
    private static final String XSS = "<img src=x onerror='window.pwned=1'><script>window.pwned=1</script>";
    private static final Path SHOTS = Path.of("target", "console");

    @RegisterExtension
    static final RelayDatabase FIXTURE = new RelayDatabase();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void deadEventRefusedByTheBrokerIsRetriedFromThePageAndReachesTheQueue() throws Exception {
        String rabbit = rabbitUri();
        TestDatabase db = FIXTURE.db();
        String exchange = "console-it-" + UUID.randomUUID();
        String queue = exchange + "-q";
        ByteArrayOutputStream logs = new ByteArrayOutputStream();
        CountDownLatch stop = new CountDownLatch(1);
        SidecarContext context = new SidecarContext(Map.ofEntries(
                Map.entry("OUTBOX_JDBC_URL", db.jdbcUrl()),
                Map.entry("OUTBOX_HTTP_HOST", "127.0.0.1"),
                Map.entry("OUTBOX_HTTP_PORT", "0"),
                Map.entry("OUTBOX_INSTANCE_NAME", "console-it"),
                Map.entry("OUTBOX_MAX_POLL_INTERVAL", "50ms"),
                Map.entry("OUTBOX_REBALANCE_INTERVAL", "50ms"),
                Map.entry("OUTBOX_LOG_FORMAT", "json"),
                Map.entry("OUTBOX_TRANSPORT", "rabbitmq"),
                Map.entry("OUTBOX_RABBITMQ_URI", rabbit),
                Map.entry("OUTBOX_ROUTE_DEFAULT", exchange),
                Map.entry("OUTBOX_CONSOLE_TOKEN", TOKEN)),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(logs, true, StandardCharsets.UTF_8),
                List.of(new RabbitMqTransportFactory()), stop);
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(rabbit);
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try (com.rabbitmq.client.Connection amqp = factory.newConnection("console-it");
             Channel channel = amqp.createChannel()) {
            Future<Integer> exit = thread.submit(() -> Main.execute(new String[] {"run"}, context));
            try {
                int port = Integer.parseInt(awaitValue("the start line with the HTTP port", DEADLINE, () -> {
                    Matcher m = HTTP_PORT.matcher(logs.toString(StandardCharsets.UTF_8));
                    return m.find() ? m.group(1) : null;
                }));
                String console = "http://127.0.0.1:" + port + "/console";

                // The exchange does not exist: RabbitMQ refuses the first and the third event (dead), the
                // second waits behind the first (same key).
                UUID poison = insert(db, "Order", "o-1", "OrderPlaced", "{\"note\": " + jsonString(XSS) + "}");
                UUID later = insert(db, "Order", "o-1", "OrderShipped", "{\"n\": 2}");
                UUID other = insert(db, "Customer", "c-1", "CustomerCreated", "{\"n\": 3}");
                await("two events dead by the broker's refusal", DEADLINE, () ->
                        db.queryLong("SELECT count(*) FROM outbox.event WHERE dead_at IS NOT NULL") == 2);
                assertThat(db.queryString("SELECT last_error FROM outbox.event WHERE id = '" + poison + "'"))
                        .contains("does not exist");

                refusedWithoutTheToken(console, poison);

                try (Browser browser = Browser.start(1280, 900)) {
                    browser.open(console);
                    await("the dead events table with 2 rows", DEADLINE, () ->
                            browser.text("return String(document.querySelectorAll('#dead-table tbody tr').length)").equals("2"));
                    // Gauges are sampled every 10 s: wait for a sample taken after the events died.
                    await("the cards and charts showing backlog 1 and 2 dead", DEADLINE, () ->
                            browser.text("return document.getElementById('dead-count').textContent").equals("2")
                                    && browser.text("return document.getElementById('backlog').textContent").equals("1"));
                    assertThat(browser.text("return document.getElementById('chart-backlog').dataset.last")).isEqualTo("1");
                    assertThat(Integer.parseInt(browser.text("return document.getElementById('chart-backlog').dataset.points")))
                            .isGreaterThanOrEqualTo(2);
                    assertThat(browser.text("return document.querySelector('#chart-backlog polyline') ? 'line' : 'none'"))
                            .isEqualTo("line");
                    String row = "#dead-table tr[data-id='" + poison + "']";
                    assertThat(browser.text("return document.querySelector(arguments[0] + ' .type').textContent", row))
                            .isEqualTo("OrderPlaced");
                    assertThat(browser.text("return document.querySelector(arguments[0] + ' .key').textContent", row))
                            .isEqualTo("Order / o-1");
                    assertThat(browser.text("return document.querySelector(arguments[0] + ' .held').textContent", row))
                            .isEqualTo("1");
                    assertThat(browser.text("return document.querySelector(arguments[0] + ' .error').textContent", row))
                            .contains("exchange " + exchange + " does not exist");
                    assertThat(browser.text("return document.querySelector('#relays tbody').textContent"))
                            .contains("console-it").contains("64: 0–63");
                    assertThat(browser.text("return document.getElementById('window-note').textContent"))
                            .contains("every 10 s").contains("outbox.event_history.published_at");
                    assertThat(browser.text("return document.querySelectorAll('button.retry').length + ''"))
                            .as("no action without signing in").isEqualTo("0");

                    // The payload's markup is shown as text and runs nothing.
                    browser.click(row + " button.view");
                    await("the event's detail", DEADLINE, () ->
                            browser.text("return document.getElementById('detail-payload').textContent").contains("<script>"));
                    assertThat(browser.text("return document.getElementById('detail-payload').textContent")).contains(XSS);
                    assertThat(browser.text("return typeof window.pwned")).isEqualTo("undefined");
                    assertThat(browser.text("return String(document.querySelectorAll('#detail img, #detail script').length)"))
                            .isEqualTo("0");
                    browser.fullScreenshot(SHOTS.resolve("console-dead.png"));

                    // Filter by type.
                    browser.type("#filter-type", "CustomerCreated");
                    browser.click("#dead-filter button[type=submit]");
                    await("only the CustomerCreated event listed", DEADLINE, () ->
                            browser.text("return Array.from(document.querySelectorAll('#dead-table tbody tr')).map(r => r.dataset.id).join()")
                                    .equals(other.toString()));
                    browser.script("document.getElementById('filter-type').value = ''");
                    browser.click("#dead-filter button[type=submit]");

                    // Sign in, then the exchange and a bound queue appear, and the event is retried from the page.
                    browser.type("#token", TOKEN);
                    browser.click("#login button[type=submit]");
                    await("signed in", DEADLINE, () -> browser.text("return document.getElementById('logout') ? 'yes' : 'no'").equals("yes"));
                    channel.exchangeDeclare(exchange, "topic", false, false, null);
                    channel.queueDeclare(queue, false, false, false, null);
                    channel.queueBind(queue, exchange, "#");
                    await("retry buttons", DEADLINE, () ->
                            browser.text("return String(document.querySelectorAll('button.retry').length)").equals("2"));
                    browser.click(row + " button.retry");
                    List<String> received = new ArrayList<>();
                    await("the retried event and the one it held back in the queue", DEADLINE, () -> {
                        GetResponse m = channel.basicGet(queue, true);
                        if (m != null) {
                            received.add(String.valueOf(m.getProps().getHeaders()));
                        }
                        return received.size() == 2;
                    });
                    assertThat(received.get(0)).contains(poison.toString());
                    assertThat(received.get(1)).contains(later.toString());

                    // Discard the other one.
                    String otherRow = "#dead-table tr[data-id='" + other + "']";
                    await("the other event listed alone", DEADLINE, () ->
                            browser.text("return String(document.querySelectorAll('#dead-table tbody tr').length)").equals("1"));
                    browser.click(otherRow + " button.discard");
                    browser.acceptDialog();
                    await("no dead event left on the page", DEADLINE, () ->
                            browser.text("return document.getElementById('dead-empty').hidden ? 'no' : 'yes'").equals("yes"));
                    assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE id = '" + other + "'")).isZero();
                    assertThat(typeOfPwned(browser)).isEqualTo("undefined");

                    // Replay the last hour from the page: the two delivered events arrive again.
                    browser.click("#replay-start");
                    await("the replay done on the page", DEADLINE, () ->
                            browser.text("return document.getElementById('replay-status').dataset.state || ''").equals("done"));
                    assertThat(browser.text("return document.getElementById('replay-status').textContent"))
                            .contains("2 re-queued of 2").contains("0 waiting for delivery");
                    await("the replayed events in the queue", DEADLINE, () -> {
                        GetResponse m = channel.basicGet(queue, true);
                        if (m != null) {
                            received.add(String.valueOf(m.getProps().getHeaders()));
                        }
                        return received.size() == 4;
                    });
                    await("published per minute charted", DEADLINE, () -> Double.parseDouble(browser.text(
                            "return document.getElementById('published-rate').textContent.replace('–', '0')")) > 0);
                    browser.fullScreenshot(SHOTS.resolve("console.png"));
                    browser.resize(390, 844);
                    browser.screenshot(SHOTS.resolve("console-phone.png"));
                    assertThat(browser.text("return String(document.documentElement.scrollWidth <= window.innerWidth + 1)"))
                            .as("no horizontal scrolling on a phone").isEqualTo("true");
                    assertThat(browser.severeLogs()).as("no script error or CSP violation").isEmpty();
                }

                String log = logs.toString(StandardCharsets.UTF_8);
                assertThat(log).contains("console action").contains("retry dead").contains(poison.toString())
                        .contains("discard dead").contains(other.toString()).contains("\"action\":\"replay\"")
                        .contains("console action refused");
                assertThat(log).doesNotContain(TOKEN);
                stop.countDown();
                assertThat(exit.get(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(Main.EXIT_OK);
            } finally {
                stop.countDown();
                thread.shutdownNow();
                ConsoleLoggerFinder.configure(SidecarConfig.LogFormat.TEXT, System.Logger.Level.INFO, null);
                channel.queueDelete(queue);
                channel.exchangeDelete(exchange);
            }
        }
    }

    /** Actions without the token, with a wrong one, or from another origin are refused; nothing changes. */
    private void refusedWithoutTheToken(String console, UUID dead) throws Exception {
        String retry = console + "/api/dead/" + dead + "/retry";
        assertThat(post(retry, Map.of(), "{}").statusCode()).isEqualTo(401);
        assertThat(post(retry, Map.of("Authorization", "Bearer not-the-token-at-all"), "{}").statusCode()).isEqualTo(401);
        HttpResponse<String> login = post(console + "/api/login", Map.of("Origin", "http://evil.example"),
                "{\"token\":\"" + TOKEN + "\"}");
        assertThat(login.statusCode()).as("a login from another origin").isEqualTo(403);
        HttpResponse<String> wrong = post(console + "/api/login", Map.of("Origin", origin(console)), "{\"token\":\"nope\"}");
        assertThat(wrong.statusCode()).isEqualTo(401);
        HttpResponse<String> session = post(console + "/api/login", Map.of("Origin", origin(console)),
                "{\"token\":\"" + TOKEN + "\"}");
        assertThat(session.statusCode()).isEqualTo(200);
        String cookie = session.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(cookie).contains("HttpOnly").contains("SameSite=Strict");
        String sessionCookie = cookie.substring(0, cookie.indexOf(';'));
        assertThat(post(retry, Map.of("Cookie", sessionCookie, "Origin", origin(console)), "{}").statusCode())
                .as("a session without the CSRF header").isEqualTo(403);
        String csrf = session.body().replaceAll(".*\"csrf\":\"([^\"]+)\".*", "$1");
        assertThat(post(retry, Map.of("Cookie", sessionCookie, "Origin", "http://evil.example", "X-CSRF-Token", csrf), "{}")
                .statusCode()).as("a session's request from another origin").isEqualTo(403);
        assertThat(FIXTURE.db().queryLong("SELECT count(*) FROM outbox.event WHERE dead_at IS NOT NULL")).isEqualTo(2);

        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(console)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow())
                .contains("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'");
        assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(page.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");
        assertThat(page.body()).doesNotContain(TOKEN).doesNotContain("<script>").contains("/console/console.js");
    }

    private HttpResponse<String> post(String url, Map<String, String> headers, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.body()).doesNotContain(TOKEN);
        return response;
    }

    private static String origin(String url) {
        return url.substring(0, url.indexOf('/', "http://".length()));
    }

    private static String typeOfPwned(Browser browser) throws Exception {
        return browser.text("return typeof window.pwned");
    }

    private static UUID insert(TestDatabase db, String aggregateType, String aggregateId, String type, String payload) {
        return UUID.fromString(db.queryString("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                + " VALUES ('" + aggregateType + "', '" + aggregateId + "', '" + type + "', '"
                + payload.replace("'", "''") + "') RETURNING id"));
    }

    private static String jsonString(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static String rabbitUri() {
        String uri = System.getenv("OUTBOX_TEST_RABBITMQ_URI");
        if (uri == null || uri.isBlank()) {
            throw new AssertionError("set OUTBOX_TEST_RABBITMQ_URI to a RabbitMQ broker (e.g. amqp://guest:guest@127.0.0.1:5672;"
                    + " .ci/services.sh starts one)");
        }
        return uri;
    }
}
