package dev.outbox.relay.sidecar;

import dev.outbox.relay.internal.LogFields;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A deliberately small HTTP/1.1 server for the probes and the console: one thread, non-blocking
 * sockets, and a handler that answers from memory or hands slow work to another thread. It exists
 * because the JDK's {@code HttpServer} reads request headers on its executor's threads, so two
 * clients that send half a request and wait hold both threads and nobody gets {@code /health} for
 * as long as they stay.
 *
 * <p>Here nothing a client does can hold the thread: reads and writes never block, a connection
 * that has not sent its whole request within {@link #REQUEST_TIMEOUT_MILLIS} (or not taken its
 * answer within the same time) is closed, a header above {@link #MAX_HEADER_BYTES} or
 * {@link #MAX_HEADER_LINES} lines is refused (431), a body above {@link #MAX_BODY_BYTES} too (413;
 * only with {@code Content-Length}: chunked bodies are refused, 411), and at most
 * {@link #MAX_CONNECTIONS} are open: a new connection closes the oldest, so a flood of idle
 * connections cannot lock a probe out. Every answer closes its connection
 * ({@code Connection: close}); probes and scrapes reconnect.
 *
 * <p>The {@link Handler} runs on the server thread, so it must answer from memory, never wait: work
 * that needs the database returns a future completed by another thread (the server writes the
 * answer when it completes; the handler bounds it with its own timeout, and the connection is
 * closed after {@link #ASYNC_TIMEOUT_MILLIS} whatever happens).
 */
final class ProbeServer implements AutoCloseable {
    static final int MAX_CONNECTIONS = 64;
    static final int MAX_HEADER_BYTES = 8192;
    static final int MAX_HEADER_LINES = 64;
    static final long REQUEST_TIMEOUT_MILLIS = 5_000;
    static final int MAX_BODY_BYTES = 16_384;
    /** Longest life of a connection whose answer is computed off the server thread. */
    static final long ASYNC_TIMEOUT_MILLIS = 30_000;
    private static final System.Logger LOG = System.getLogger("dev.outbox.relay.sidecar");

    /** Answers one request; runs on the server thread, must not block (return a future for slow work). */
    interface Handler {
        CompletionStage<Response> handle(Request request);
    }

    /**
     * A request.
     *
     * @param method as sent ({@code GET}, {@code POST} …)
     * @param path without the query
     * @param query the raw query after {@code ?}, or {@code ""}
     * @param headers by lower-case name (the last of repeated fields)
     * @param body the body, empty without one
     */
    record Request(String method, String path, String query, Map<String, String> headers, byte[] body) {
        Request {
            headers = Map.copyOf(headers);
        }

        /** A header by lower-case name, or {@code null}. */
        String header(String name) {
            return headers.get(name);
        }
    }

    /**
     * An answer.
     *
     * @param headers more header fields ({@code Allow}, {@code Set-Cookie}, {@code Cache-Control} …);
     *     without {@code Cache-Control} the answer is {@code no-store}
     */
    record Response(int status, String contentType, String body, Map<String, String> headers) {
        Response {
            headers = Map.copyOf(headers);
        }

        static Response of(int status, String contentType, String body) {
            return new Response(status, contentType, body, Map.of());
        }

        Response with(String name, String value) {
            Map<String, String> more = new LinkedHashMap<>(headers);
            more.put(name, value);
            return new Response(status, contentType, body, more);
        }

        CompletionStage<Response> done() {
            return CompletableFuture.completedFuture(this);
        }
    }

    private final ServerSocketChannel server;
    private final Selector selector;
    private final Handler handler;
    private final Thread thread;
    private final Deque<Connection> connections = new ArrayDeque<>(); // oldest first
    /** Answers completed by other threads, written by the server thread. */
    private final Queue<Runnable> completed = new ConcurrentLinkedQueue<>();
    private volatile boolean running = true;

    private ProbeServer(ServerSocketChannel server, Selector selector, Handler handler) {
        this.server = server;
        this.selector = selector;
        this.handler = handler;
        this.thread = new Thread(this::loop, "outbox-relay-http");
        this.thread.setDaemon(true);
    }

    /**
     * Binds and starts serving.
     *
     * @throws IOException if the address cannot be bound (port in use)
     */
    static ProbeServer start(String host, int port, Handler handler) throws IOException {
        Selector selector = Selector.open();
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(new InetSocketAddress(host, port), 128);
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
        } catch (IOException | RuntimeException e) {
            server.close();
            selector.close();
            throw e;
        }
        ProbeServer probes = new ProbeServer(server, selector, handler);
        probes.thread.start();
        return probes;
    }

    int port() {
        return server.socket().getLocalPort();
    }

    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        try {
            while (running) {
                selector.select(this::ready, nextTimeoutMillis());
                for (Runnable r; (r = completed.poll()) != null; ) {
                    r.run();
                }
                expire(System.nanoTime());
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.ERROR, "http server failed {0}", LogFields.of("error", String.valueOf(e)));
        } finally {
            connections.forEach(Connection::close);
            connections.clear();
            closeQuietly(server);
            try {
                selector.close();
            } catch (IOException ignored) {
                // closing: nothing left to do
            }
        }
    }

    /** Until the nearest deadline (at most 64 connections: a scan is cheap). */
    private long nextTimeoutMillis() {
        if (connections.isEmpty()) {
            return 0; // no deadline: wait for a connection (0 = no timeout)
        }
        long now = System.nanoTime();
        long nearest = Long.MAX_VALUE;
        for (Connection c : connections) {
            nearest = Math.min(nearest, c.deadline - now);
        }
        return Math.max(1, nearest / 1_000_000 + 1);
    }

    private void expire(long now) {
        for (Iterator<Connection> it = connections.iterator(); it.hasNext(); ) {
            Connection c = it.next();
            if (!c.open || now - c.deadline >= 0) {
                c.close();
                it.remove();
            }
        }
    }

    private void ready(SelectionKey key) {
        try {
            if (key.isAcceptable()) {
                accept();
            } else if (key.attachment() instanceof Connection c) {
                if (key.isReadable()) {
                    c.read();
                }
                if (c.open && key.isValid() && key.isWritable()) {
                    c.write();
                }
            }
        } catch (IOException | RuntimeException e) {
            if (key.attachment() instanceof Connection c) {
                c.close(); // a client that went away or sent garbage: its problem, not the server's
            } else {
                LOG.log(Level.WARNING, "http accept failed {0}", LogFields.of("error", String.valueOf(e)));
            }
        }
    }

    private void accept() throws IOException {
        SocketChannel channel;
        while ((channel = server.accept()) != null) {
            if (connections.size() >= MAX_CONNECTIONS) {
                connections.removeFirst().close(); // the oldest: a probe's own connection lives milliseconds
            }
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            Connection c = new Connection(channel, System.nanoTime() + REQUEST_TIMEOUT_MILLIS * 1_000_000);
            c.key = channel.register(selector, SelectionKey.OP_READ, c);
            connections.addLast(c);
        }
    }

    /** One client connection: reads a request head, then writes one answer and closes. */
    private final class Connection {
        private final SocketChannel channel;
        private long deadline;
        private final ByteBuffer in = ByteBuffer.allocate(MAX_HEADER_BYTES);
        private String head;
        private ByteBuffer body;
        private boolean waiting;
        private ByteBuffer out;
        private SelectionKey key;
        private boolean open = true;

        Connection(SocketChannel channel, long deadline) {
            this.channel = channel;
            this.deadline = deadline;
        }

        void read() throws IOException {
            if (out != null || waiting) {
                return; // answering already; anything more the client sends is ignored
            }
            int n = channel.read(body != null ? body : in);
            if (n < 0) {
                close();
                return;
            }
            if (body != null) {
                if (!body.hasRemaining()) {
                    dispatch();
                }
                return;
            }
            int end = headEnd();
            if (end >= 0) {
                head = new String(in.array(), 0, end, StandardCharsets.ISO_8859_1);
                startBody(end);
            } else if (!in.hasRemaining()) {
                respond(Response.of(431, "application/json", "{\"error\":\"request header too large\"}"), true);
            }
        }

        /** After the head: the body announced by {@code Content-Length}, with the bytes already read. */
        private void startBody(int headEnd) throws IOException {
            String length = null;
            for (String line : head.split("\r?\n")) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                    if (name.equals("transfer-encoding")) {
                        respond(Response.of(411, "application/json", "{\"error\":\"send a Content-Length\"}"), true);
                        return;
                    }
                    if (name.equals("content-length")) {
                        length = line.substring(colon + 1).trim();
                    }
                }
            }
            int size = 0;
            if (length != null) {
                if (!length.matches("\\d{1,9}")) {
                    respond(Response.of(400, "application/json", "{\"error\":\"bad Content-Length\"}"), true);
                    return;
                }
                size = Integer.parseInt(length);
                if (size > MAX_BODY_BYTES) {
                    respond(Response.of(413, "application/json", "{\"error\":\"request body larger than "
                            + MAX_BODY_BYTES + " bytes\"}"), true);
                    return;
                }
            }
            body = ByteBuffer.allocate(size);
            body.put(in.array(), headEnd, Math.min(size, in.position() - headEnd));
            if (!body.hasRemaining()) {
                dispatch();
            }
        }

        private void dispatch() throws IOException {
            boolean withBody = !head.startsWith("HEAD ");
            CompletionStage<Response> answer = parse(head, body.array());
            CompletableFuture<Response> future = answer.toCompletableFuture();
            if (future.isDone()) {
                respond(future.getNow(null), withBody);
                return;
            }
            waiting = true;
            deadline = System.nanoTime() + ASYNC_TIMEOUT_MILLIS * 1_000_000;
            future.whenComplete((r, e) -> {
                Response response = r != null ? r : failed(e);
                completed.add(() -> {
                    if (open) {
                        try {
                            respond(response, withBody);
                        } catch (IOException | RuntimeException gone) {
                            close(); // the client left while the answer was computed
                        }
                    }
                });
                selector.wakeup();
            });
        }

        /** Index of the blank line ending the head ({@code \r\n\r\n} or {@code \n\n}), or -1. */
        private int headEnd() {
            byte[] b = in.array();
            for (int i = 0; i < in.position(); i++) {
                if (b[i] == '\n' && ((i >= 1 && b[i - 1] == '\n') || (i >= 3 && b[i - 1] == '\r' && b[i - 2] == '\n'))) {
                    return i + 1;
                }
            }
            return -1;
        }

        private CompletionStage<Response> parse(String head, byte[] content) {
            String[] lines = head.split("\r?\n");
            if (lines.length > MAX_HEADER_LINES) {
                return Response.of(431, "application/json", "{\"error\":\"too many request header fields\"}").done();
            }
            String[] request = lines[0].split(" ");
            if (request.length != 3 || !request[2].startsWith("HTTP/1.") || !request[1].startsWith("/")) {
                return Response.of(400, "application/json", "{\"error\":\"bad request\"}").done();
            }
            String path = request[1];
            String query = "";
            int q = path.indexOf('?');
            if (q >= 0) {
                query = path.substring(q + 1);
                path = path.substring(0, q);
            }
            Map<String, String> headers = new HashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
                }
            }
            try {
                CompletionStage<Response> answer = handler.handle(new Request(request[0], path, query, headers, content));
                return answer.exceptionally(ProbeServer::failed);
            } catch (RuntimeException e) {
                return failed(e).done();
            }
        }

        /** Queues the answer and starts writing it; without the body for HEAD (same headers as GET). */
        private void respond(Response r, boolean withBody) throws IOException {
            waiting = false;
            byte[] content = r.body().getBytes(StandardCharsets.UTF_8);
            StringBuilder head = new StringBuilder()
                    .append("HTTP/1.1 ").append(r.status()).append(' ').append(reason(r.status())).append("\r\n")
                    .append("Content-Type: ").append(r.contentType()).append("\r\n")
                    .append("Connection: close\r\n");
            if (!r.headers().containsKey("Cache-Control")) {
                head.append("Cache-Control: no-store\r\n");
            }
            r.headers().forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
            head.append("Content-Length: ").append(content.length).append("\r\n\r\n");
            byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
            out = ByteBuffer.allocate(headBytes.length + (withBody ? content.length : 0)).put(headBytes);
            if (withBody) {
                out.put(content);
            }
            out.flip();
            channel.shutdownInput();
            key.interestOps(SelectionKey.OP_WRITE);
            write();
        }

        void write() throws IOException {
            channel.write(out);
            if (!out.hasRemaining()) {
                close();
            }
        }

        void close() {
            if (open) {
                open = false;
                if (key != null) {
                    key.cancel();
                }
                closeQuietly(channel);
            }
        }
    }

    private static Response failed(Throwable e) {
        LOG.log(Level.WARNING, "http request failed {0}", LogFields.of("error", String.valueOf(e)));
        return Response.of(500, "application/json", "{\"error\":\"internal error\"}");
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 202 -> "Accepted";
            case 204 -> "No Content";
            case 303 -> "See Other";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 409 -> "Conflict";
            case 411 -> "Length Required";
            case 413 -> "Content Too Large";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 503 -> "Service Unavailable";
            default -> "Status " + String.format(Locale.ROOT, "%d", status);
        };
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing to do: the peer is gone either way
        }
    }
}
