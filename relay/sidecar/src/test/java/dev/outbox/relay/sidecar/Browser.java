package dev.outbox.relay.sidecar;

import dev.outbox.testing.Await;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.StringReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

/**
 * Headless Chromium driven through chromedriver's W3C WebDriver protocol over plain HTTP: the few
 * commands the console's tests need, without Selenium's hundred jars. A missing browser is a
 * failure that says how to install it ({@code .ci/browser.sh}), never a skip.
 */
final class Browser implements AutoCloseable {
    static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("OUTBOX_TEST_CHROMIUM", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getenv().getOrDefault("OUTBOX_TEST_CHROMEDRIVER", "/usr/bin/chromedriver"));
    private static final String ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

    private final Process driver;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final String session;

    private Browser(Process driver, String base, String session) {
        this.driver = driver;
        this.base = base;
        this.session = session;
    }

    /** Starts chromedriver and a headless Chromium window of {@code width}×{@code height}. */
    static Browser start(int width, int height) throws IOException, InterruptedException {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            throw new AssertionError("headless Chromium is needed: " + CHROMIUM + " and " + CHROMEDRIVER
                    + " (run `bash .ci/browser.sh` as root, i.e. apt-get install -y chromium chromium-driver)");
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process driver = new ProcessBuilder(CHROMEDRIVER.toString(), "--port=" + port, "--allowed-ips=127.0.0.1")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String base = "http://127.0.0.1:" + port;
        HttpClient probe = HttpClient.newHttpClient();
        try {
            Await.await("chromedriver to answer on port " + port, Duration.ofSeconds(20), () -> {
                if (!driver.isAlive()) {
                    throw new AssertionError("chromedriver exited with " + driver.exitValue());
                }
                try {
                    return probe.send(HttpRequest.newBuilder(URI.create(base + "/status")).build(),
                            HttpResponse.BodyHandlers.ofString()).body().contains("\"ready\":true");
                } catch (IOException notYet) {
                    return false;
                }
            });
            JsonObject capabilities = Json.createObjectBuilder().add("capabilities", Json.createObjectBuilder()
                    .add("alwaysMatch", Json.createObjectBuilder()
                            .add("browserName", "chrome")
                            .add("goog:loggingPrefs", Json.createObjectBuilder().add("browser", "ALL"))
                            .add("goog:chromeOptions", Json.createObjectBuilder()
                                    .add("binary", CHROMIUM.toString())
                                    .add("args", Json.createArrayBuilder().add("--headless=new").add("--no-sandbox")
                                            .add("--disable-gpu").add("--disable-dev-shm-usage").add("--no-first-run")
                                            .add("--window-size=" + width + "," + height))))).build();
            JsonObject created = send(HttpClient.newHttpClient(), "POST", base + "/session", capabilities);
            return new Browser(driver, base, created.getJsonObject("value").getString("sessionId"));
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            driver.destroyForcibly();
            throw e;
        }
    }

    void open(String url) throws IOException, InterruptedException {
        command("POST", "/url", Json.createObjectBuilder().add("url", url).build());
    }

    /** Runs {@code script} (a function body) in the page; its return value. */
    JsonValue script(String script, String... args) throws IOException, InterruptedException {
        var array = Json.createArrayBuilder();
        for (String a : args) {
            array.add(a);
        }
        return command("POST", "/execute/sync", Json.createObjectBuilder().add("script", script).add("args", array).build())
                .get("value");
    }

    String text(String script, String... args) throws IOException, InterruptedException {
        JsonValue v = script(script, args);
        return v.getValueType() == JsonValue.ValueType.STRING ? ((jakarta.json.JsonString) v).getString() : v.toString();
    }

    /** The element matching the CSS selector (fails if none). */
    String find(String css) throws IOException, InterruptedException {
        JsonObject found = command("POST", "/element", Json.createObjectBuilder().add("using", "css selector")
                .add("value", css).build()).getJsonObject("value");
        if (!found.containsKey(ELEMENT)) {
            throw new IllegalStateException("no element " + css + ": " + found);
        }
        return found.getString(ELEMENT);
    }

    /** A real click, as a user's (the element must be visible). */
    void click(String css) throws IOException, InterruptedException {
        command("POST", "/element/" + find(css) + "/click", Json.createObjectBuilder().build());
    }

    void type(String css, String text) throws IOException, InterruptedException {
        command("POST", "/element/" + find(css) + "/value", Json.createObjectBuilder().add("text", text).build());
    }

    void acceptDialog() throws IOException, InterruptedException {
        command("POST", "/alert/accept", Json.createObjectBuilder().build());
    }

    void resize(int width, int height) throws IOException, InterruptedException {
        command("POST", "/window/rect", Json.createObjectBuilder().add("width", width).add("height", height).build());
    }

    /** Saves a PNG of the viewport. */
    void screenshot(Path file) throws IOException, InterruptedException {
        String png = command("GET", "/screenshot", null).getString("value");
        Files.createDirectories(file.getParent());
        Files.write(file, Base64.getDecoder().decode(png));
    }

    /** Saves a PNG of the whole page (Chromium's full-page capture through DevTools). */
    void fullScreenshot(Path file) throws IOException, InterruptedException {
        JsonObject metrics = command("POST", "/goog/cdp/execute", Json.createObjectBuilder()
                .add("cmd", "Page.getLayoutMetrics").add("params", Json.createObjectBuilder()).build()).getJsonObject("value");
        JsonObject size = metrics.getJsonObject("cssContentSize");
        JsonObject shot = command("POST", "/goog/cdp/execute", Json.createObjectBuilder()
                .add("cmd", "Page.captureScreenshot").add("params", Json.createObjectBuilder()
                        .add("captureBeyondViewport", true)
                        .add("clip", Json.createObjectBuilder().add("x", 0).add("y", 0)
                                .add("width", size.getJsonNumber("width").doubleValue())
                                .add("height", size.getJsonNumber("height").doubleValue()).add("scale", 1))).build())
                .getJsonObject("value");
        Files.createDirectories(file.getParent());
        Files.write(file, Base64.getDecoder().decode(shot.getString("data")));
    }

    /** Browser console messages of level SEVERE (CSP violations, script errors). */
    List<String> severeLogs() throws IOException, InterruptedException {
        JsonArray entries = command("POST", "/se/log", Json.createObjectBuilder().add("type", "browser").build())
                .getJsonArray("value");
        return entries.getValuesAs(JsonObject.class).stream().filter(e -> e.getString("level").equals("SEVERE"))
                .map(e -> e.getString("message")).toList();
    }

    private JsonObject command(String method, String path, JsonObject body) throws IOException, InterruptedException {
        return send(http, method, base + "/session/" + session + path, body);
    }

    private static JsonObject send(HttpClient http, String method, String url, JsonObject body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json");
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body.toString()));
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        JsonObject json;
        try (JsonReader reader = Json.createReader(new StringReader(response.body()))) {
            json = reader.readObject();
        }
        if (response.statusCode() != 200) {
            throw new IllegalStateException("WebDriver " + method + " " + url + ": " + response.statusCode() + " " + json);
        }
        return json;
    }

    @Override
    public void close() {
        try {
            send(http, "DELETE", base + "/session/" + session, null);
        } catch (IOException | InterruptedException | RuntimeException e) {
            // the browser is ended with its driver below either way
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        } finally {
            driver.descendants().forEach(ProcessHandle::destroyForcibly);
            driver.destroyForcibly();
            try {
                driver.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
