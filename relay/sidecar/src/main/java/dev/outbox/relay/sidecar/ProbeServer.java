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
import java.util.Locale;

/**
 * A deliberately small HTTP/1.1 server for the probes: one thread, non-blocking sockets, and a
 * handler that answers from memory. It exists because the JDK's {@code HttpServer} reads request
 * headers on its executor's threads, so two clients that send half a request and wait hold both
 * threads and nobody gets {@code /health} for as long as they stay.
 *
 * <p>Here nothing a client does can hold the thread: reads and writes never block, a connection
 * that has not sent its whole header within {@link #REQUEST_TIMEOUT_MILLIS} (or not taken its
 * answer within the same time) is closed, a header above {@link #MAX_HEADER_BYTES} or
 * {@link #MAX_HEADER_LINES} lines is refused (431), and at most {@link #MAX_CONNECTIONS} are open:
 * a new connection closes the oldest, so a flood of idle connections cannot lock a probe out.
 * Every answer closes its connection ({@code Connection: close}); probes and scrapes reconnect.
 * A request body is never read: methods that have one are refused (405) before it matters.
 *
 * <p>The {@link Handler} runs on the server thread, so it must answer from memory, never wait.
 */
final class ProbeServer implements AutoCloseable {
    static final int MAX_CONNECTIONS = 64;
    static final int MAX_HEADER_BYTES = 8192;
    static final int MAX_HEADER_LINES = 64;
    static final long REQUEST_TIMEOUT_MILLIS = 5_000;
    private static final System.Logger LOG = System.getLogger("dev.outbox.relay.sidecar");

    /** Answers one request; runs on the server thread, must not block. */
    interface Handler {
        Response handle(String method, String path);
    }

    /**
     * An answer.
     *
     * @param allow for 405: the methods allowed, else {@code null}
     */
    record Response(int status, String contentType, String body, String allow) {
        static Response of(int status, String contentType, String body) {
            return new Response(status, contentType, body, null);
        }
    }

    private final ServerSocketChannel server;
    private final Selector selector;
    private final Handler handler;
    private final Thread thread;
    private final Deque<Connection> connections = new ArrayDeque<>(); // oldest first
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

    /** Until the oldest connection's deadline: connections are kept in accept order. */
    private long nextTimeoutMillis() {
        Connection oldest = connections.peekFirst();
        if (oldest == null) {
            return 0; // no deadline: wait for a connection (0 = no timeout)
        }
        return Math.max(1, (oldest.deadline - System.nanoTime()) / 1_000_000 + 1);
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
        private final long deadline;
        private final ByteBuffer in = ByteBuffer.allocate(MAX_HEADER_BYTES);
        private ByteBuffer out;
        private SelectionKey key;
        private boolean open = true;

        Connection(SocketChannel channel, long deadline) {
            this.channel = channel;
            this.deadline = deadline;
        }

        void read() throws IOException {
            if (out != null) {
                return; // answering already; anything more the client sends is ignored
            }
            int n = channel.read(in);
            if (n < 0) {
                close();
                return;
            }
            int end = headEnd();
            if (end >= 0) {
                String head = new String(in.array(), 0, end, StandardCharsets.ISO_8859_1);
                respond(parse(head), !head.startsWith("HEAD "));
            } else if (!in.hasRemaining()) {
                respond(Response.of(431, "application/json", "{\"error\":\"request header too large\"}"), true);
            }
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

        private Response parse(String head) {
            String[] lines = head.split("\r?\n");
            if (lines.length > MAX_HEADER_LINES) {
                return Response.of(431, "application/json", "{\"error\":\"too many request header fields\"}");
            }
            String[] request = lines[0].split(" ");
            if (request.length != 3 || !request[2].startsWith("HTTP/1.") || !request[1].startsWith("/")) {
                return Response.of(400, "application/json", "{\"error\":\"bad request\"}");
            }
            String path = request[1];
            int query = path.indexOf('?');
            if (query >= 0) {
                path = path.substring(0, query);
            }
            try {
                return handler.handle(request[0], path);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "http request failed {0}", LogFields.of("path", path, "error", String.valueOf(e)));
                return Response.of(500, "application/json", "{\"error\":\"internal error\"}");
            }
        }

        /** Queues the answer and starts writing it; without the body for HEAD (same headers as GET). */
        private void respond(Response r, boolean withBody) throws IOException {
            byte[] body = r.body().getBytes(StandardCharsets.UTF_8);
            StringBuilder head = new StringBuilder()
                    .append("HTTP/1.1 ").append(r.status()).append(' ').append(reason(r.status())).append("\r\n")
                    .append("Content-Type: ").append(r.contentType()).append("\r\n")
                    .append("Cache-Control: no-store\r\n")
                    .append("Connection: close\r\n");
            if (r.allow() != null) {
                head.append("Allow: ").append(r.allow()).append("\r\n");
            }
            head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
            byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
            out = ByteBuffer.allocate(headBytes.length + (withBody ? body.length : 0)).put(headBytes);
            if (withBody) {
                out.put(body);
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

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
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
