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
 * A TCP proxy on a fixed 127.0.0.1 port in front of the shared emulator, so that a test can take
 * "the server" away without stopping the emulator other tests use: {@link #close()} resets every
 * connection and stops listening (connection refused, as with a stopped server), {@link #open()}
 * listens on the same port again. {@code StallingProxy} picks a new port each time, which a
 * transport configured with the old address would not find.
 */
public final class ClosingProxy implements AutoCloseable {
    private final String targetHost;
    private final int targetPort;
    private final int port;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private volatile ServerSocket server;

    private ClosingProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        ServerSocket first = listen(0);
        this.port = first.getLocalPort();
        start(first);
    }

    /** A proxy to {@code host:port}, listening. */
    public static ClosingProxy to(String host, int port) {
        try {
            return new ClosingProxy(host, port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A proxy to {@code host:port} given as one text, listening. */
    public static ClosingProxy to(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return to(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** The port it listens on, the same across {@link #close()} and {@link #open()}. */
    public int port() {
        return port;
    }

    /** {@code 127.0.0.1:port}. */
    public String address() {
        return "127.0.0.1:" + port;
    }

    /** Listens again on the same port. */
    public synchronized void open() {
        if (server != null) {
            return;
        }
        try {
            start(listen(port));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops listening and resets every open connection. */
    @Override
    public synchronized void close() {
        ServerSocket s = server;
        server = null;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        for (Socket socket : sockets) {
            try {
                socket.setSoLinger(true, 0); // RST, not FIN
                socket.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
        sockets.clear();
    }

    private static ServerSocket listen(int port) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        return s;
    }

    private void start(ServerSocket s) {
        server = s;
        Thread acceptor = new Thread(() -> accept(s), "closing-proxy-" + port);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void accept(ServerSocket s) {
        while (!s.isClosed()) {
            Socket client;
            try {
                client = s.accept();
            } catch (IOException e) {
                return; // closed
            }
            Socket upstream = new Socket();
            try {
                upstream.connect(new InetSocketAddress(targetHost, targetPort), 5_000);
            } catch (IOException e) {
                quietly(client);
                quietly(upstream);
                continue;
            }
            sockets.add(client);
            sockets.add(upstream);
            pump(client, upstream);
            pump(upstream, client);
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[16_384];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // a side closed or reset: close the other one as well
            } finally {
                quietly(from);
                quietly(to);
            }
        }, "closing-proxy-" + port + "-pump");
        t.setDaemon(true);
        t.start();
    }

    private void quietly(Socket s) {
        sockets.remove(s);
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
