package dev.outbox.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on 127.0.0.1 in front of a real server, for fault tests: it forwards bytes both ways
 * until {@link #stall()}, then holds them (connections stay open, new ones are accepted, nothing
 * is answered: what a client sees of a server stopped with SIGSTOP or a network that drops
 * packets) until {@link #resume()}, which forwards what was held. {@link #stallRequestsAfter}
 * stalls only the client → server direction after a number of bytes, so that the server answers
 * what it got and never sees the rest: a stall in the middle of a batch. {@link #cutAll()} resets
 * every open connection (a crash or a network cut). Plain JDK sockets, one thread per direction.
 */
public final class StallingProxy implements AutoCloseable {
    private final String targetHost;
    private final int targetPort;
    private final ServerSocket server;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Object gate = new Object();
    private boolean stalled;
    /** Client → server bytes still forwarded before that direction stalls. */
    private long requestBudget = Long.MAX_VALUE;
    private volatile boolean closed;

    private StallingProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "stalling-proxy-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Starts a proxy to {@code host:port}, forwarding. */
    public static StallingProxy to(String host, int port) {
        try {
            return new StallingProxy(host, port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The local port clients connect to. */
    public int port() {
        return server.getLocalPort();
    }

    /** {@code 127.0.0.1:port}. */
    public String address() {
        return "127.0.0.1:" + port();
    }

    /** Stops forwarding in both directions; connections stay open. */
    public void stall() {
        synchronized (gate) {
            stalled = true;
        }
    }

    /**
     * Forwards {@code bytes} more from clients to the server (in total, over all connections), then
     * holds the rest; answers still come back.
     */
    public void stallRequestsAfter(long bytes) {
        synchronized (gate) {
            requestBudget = bytes;
        }
    }

    /** Whether {@link #stallRequestsAfter} is holding requests back: its budget is used up. */
    public boolean holdingRequests() {
        synchronized (gate) {
            return requestBudget == 0;
        }
    }

    /** Forwards again, held bytes first. */
    public void resume() {
        synchronized (gate) {
            stalled = false;
            requestBudget = Long.MAX_VALUE;
            gate.notifyAll();
        }
    }

    /** Resets every open connection (new ones are still accepted). */
    public void cutAll() {
        for (Socket s : sockets) {
            try {
                s.setSoLinger(true, 0); // RST, not FIN
                s.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
        sockets.clear();
    }

    @Override
    public void close() {
        closed = true;
        resume();
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        cutAll();
    }

    private void accept() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            Socket upstream = new Socket();
            try {
                upstream.connect(new InetSocketAddress(targetHost, targetPort), 5_000);
            } catch (IOException e) {
                close(client);
                close(upstream);
                continue;
            }
            sockets.add(client);
            sockets.add(upstream);
            pump(client, upstream, true);
            pump(upstream, client, false);
        }
    }

    private void pump(Socket from, Socket to, boolean request) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[16_384];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    int done = 0;
                    while (done < n) {
                        int allowed = awaitForwarding(request, n - done);
                        out.write(buffer, done, allowed);
                        out.flush();
                        done += allowed;
                    }
                }
            } catch (IOException | InterruptedException e) {
                // a side closed or reset: close the other one as well
            } finally {
                close(from);
                close(to);
            }
        }, "stalling-proxy-" + port() + (request ? "-request" : "-answer"));
        t.setDaemon(true);
        t.start();
    }

    /** Waits until some of {@code wanted} bytes may go on; returns how many (at least 1). */
    private int awaitForwarding(boolean request, int wanted) throws InterruptedException {
        synchronized (gate) {
            while (stalled || request && requestBudget == 0) {
                gate.wait();
            }
            if (!request) {
                return wanted;
            }
            int allowed = (int) Math.min(wanted, requestBudget);
            if (requestBudget != Long.MAX_VALUE) {
                requestBudget -= allowed;
            }
            return allowed;
        }
    }

    private void close(Socket s) {
        sockets.remove(s);
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
