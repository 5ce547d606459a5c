package dev.outbox.relay.sidecar;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportFactory;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Finds the transports the sidecar can run: those on its class path ({@code log}, or a custom
 * one added with {@code -cp}) and one per folder of the distribution's {@code transports/}
 * directory beside {@code relay.jar}, as Kafka Connect's plugin path does. Each folder gets a
 * class loader of its own (parent: the sidecar's), so transports never see each other's client
 * libraries, and a client's classes load only when its transport is selected and created.
 */
final class TransportPlugins {
    /** The folder beside relay.jar that holds one folder of jars per transport. */
    static final String DIRECTORY = "transports";
    /** Names each folder's class loader, so that {@link #origin} can tell where a transport came from. */
    private static final String LOADER_PREFIX = "transport-";

    private TransportPlugins() {
    }

    /** The transports on the class path and in the distribution's {@value #DIRECTORY} folder, if any. */
    static List<TransportFactory> installed() {
        return installed(distributionDirectory());
    }

    /**
     * The transports on the class path, then those of {@code directory}'s subfolders (by name).
     *
     * @param directory a folder of transport folders, or {@code null}
     * @throws OutboxException if a folder cannot be read
     */
    static List<TransportFactory> installed(Path directory) {
        List<TransportFactory> found = new ArrayList<>();
        ServiceLoader.load(TransportFactory.class, TransportPlugins.class.getClassLoader()).forEach(found::add);
        if (directory == null || !Files.isDirectory(directory)) {
            return found;
        }
        try (Stream<Path> folders = Files.list(directory)) {
            for (Path folder : folders.filter(Files::isDirectory).sorted().toList()) {
                ClassLoader loader = new URLClassLoader(LOADER_PREFIX + folder.getFileName(), jars(folder),
                        TransportPlugins.class.getClassLoader());
                // The loader also sees its parent's providers; keep only the folder's own.
                ServiceLoader.load(TransportFactory.class, loader).stream()
                        .filter(p -> p.type().getClassLoader() == loader)
                        .forEach(p -> found.add(new Isolated(p.get(), loader)));
            }
        } catch (IOException e) {
            throw new OutboxException("cannot read the transports folder " + directory + " (" + e + ")", e);
        }
        return found;
    }

    /** Where {@code factory} was loaded from: {@code transports/<folder>} or {@code class path}. */
    static String origin(TransportFactory factory) {
        ClassLoader own = factory instanceof Isolated isolated ? isolated.loader : factory.getClass().getClassLoader();
        String loader = own.getName();
        return loader != null && loader.startsWith(LOADER_PREFIX)
                ? DIRECTORY + "/" + loader.substring(LOADER_PREFIX.length()) : "class path";
    }

    private static URL[] jars(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            List<URL> urls = new ArrayList<>();
            for (Path jar : files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList()) {
                try {
                    urls.add(jar.toUri().toURL());
                } catch (MalformedURLException e) {
                    throw new IOException(e);
                }
            }
            return urls.toArray(URL[]::new);
        }
    }

    /** {@code transports/} beside the jar this class was loaded from (relay.jar), or {@code null} when run from classes. */
    private static Path distributionDirectory() {
        try {
            Path source = Path.of(TransportPlugins.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return Files.isRegularFile(source) ? source.resolveSibling(DIRECTORY) : null;
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            return null;
        }
    }

    /**
     * A transport of a folder, run with its folder's class loader as the thread's context class
     * loader: clients find their own classes by name through it (Kafka's producer resolves its
     * configured classes so, and its I/O thread inherits the loader from the thread that creates
     * it), which the sidecar's own class loader cannot see.
     */
    private static final class Isolated implements TransportFactory {
        private final TransportFactory factory;
        private final ClassLoader loader;

        Isolated(TransportFactory factory, ClassLoader loader) {
            this.factory = factory;
            this.loader = loader;
        }

        @Override
        public String name() {
            return factory.name();
        }

        @Override
        public ConfigModel config() {
            return factory.config();
        }

        @Override
        public Transport create(ConfigValues values) {
            Transport transport = within(loader, () -> factory.create(values));
            return new Transport() {
                @Override
                public List<SendResult> send(List<OutboxMessage> batch) {
                    return within(loader, () -> transport.send(batch));
                }

                @Override
                public void close() {
                    within(loader, () -> {
                        transport.close();
                        return null;
                    });
                }

                @Override
                public String toString() {
                    return transport.toString();
                }
            };
        }

        private static <T> T within(ClassLoader loader, Supplier<T> action) {
            Thread thread = Thread.currentThread();
            ClassLoader before = thread.getContextClassLoader();
            thread.setContextClassLoader(loader);
            try {
                return action.get();
            } finally {
                thread.setContextClassLoader(before);
            }
        }
    }
}
