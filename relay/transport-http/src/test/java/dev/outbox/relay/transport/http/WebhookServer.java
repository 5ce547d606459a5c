package dev.outbox.relay.transport.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.outbox.testing.Await;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A webhook receiver for tests: the JDK's HttpServer on 127.0.0.1, recording every request
 * (headers, body, arrival time, status answered) and answering per path as programmed (200 by
 * default). Stop and start keep the port.
 */
final class WebhookServer implements AutoCloseable {
    /** A request as received; header names lower-case, first value. */
    record Request(String path, Map<String, String> headers, byte[] body, Instant at, int status) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** What to answer: status, optional Retry-After / Location, and a delay before answering. */
    record Response(int status, Map<String, String> headers, Duration delay) {
        /** Not an HTTP status: the connection is closed without an answer. */
        static final int DROP = -1;

        static Response status(int status) {
            return new Response(status, Map.of(), Duration.ZERO);
        }

        /** Reads the request, then closes the connection without answering (a receiver that crashed mid-request). */
        static Response drop() {
            return status(DROP);
        }
    }

    private final List<Request> requests = new ArrayList<>();
    private final Map<String, Function<Integer, Response>> responders = new ConcurrentHashMap<>();
    private final int port;
    private HttpServer server;
    private ExecutorService executor;

    private WebhookServer(int port) throws IOException {
        bind(port);
        this.port = server.getAddress().getPort();
    }

    static WebhookServer start() {
        try {
            return new WebhookServer(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int port() {
        return port;
    }

    String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    /** Answers requests to {@code path} by the number of earlier requests to it (0 for the first). */
    void respond(String path, Function<Integer, Response> responder) {
        responders.put(path, responder);
    }

    synchronized List<Request> requests(String path) {
        return requests.stream().filter(r -> r.path().equals(path)).toList();
    }

    /** Requests to {@code path} answered 2xx: what a receiver accepted. */
    synchronized List<Request> accepted(String path) {
        return requests.stream().filter(r -> r.path().equals(path) && r.status() / 100 == 2).toList();
    }

    synchronized void stop() {
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
            server = null;
        }
    }

    /** Starts again on the same port (retrying while the old socket lingers). */
    synchronized void restart() {
        Await.await("port " + port + " to be free again", Duration.ofSeconds(10), () -> {
            try {
                bind(port);
                return true;
            } catch (BindException stillInUse) {
                return false;
            }
        });
    }

    @Override
    public void close() {
        stop();
    }

    private void bind(int onPort) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort), 200);
        s.createContext("/", this::handle);
        executor = Executors.newFixedThreadPool(64);
        s.setExecutor(executor);
        s.start();
        server = s;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange; InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readAllBytes();
            Instant at = Instant.now();
            String path = exchange.getRequestURI().getPath();
            Map<String, String> headers = new TreeMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v.get(0)));
            Response response;
            synchronized (this) {
                int earlier = (int) requests.stream().filter(r -> r.path().equals(path)).count();
                response = responders.getOrDefault(path, n -> Response.status(200)).apply(earlier);
                requests.add(new Request(path, headers, body, at, response.status()));
            }
            if (!response.delay().isZero()) {
                try {
                    Thread.sleep(response.delay().toMillis()); // a slow receiver, simulated
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (response.status() == Response.DROP) {
                // Closing the exchange before any response header makes the JDK server close the connection.
                return;
            }
            response.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            exchange.sendResponseHeaders(response.status(), -1);
        }
    }
}
