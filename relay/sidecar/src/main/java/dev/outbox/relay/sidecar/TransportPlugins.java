package dev.outbox.relay.sidecar;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportFactory;
import java.io.IOException;
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
 * directory beside {@code relay.jar}, as Kafka Connect's plugin path does. A folder is named
 * after its transport; its jars are opened only when that transport's settings or the transport
 * itself are needed (normally: the selected one), in a class loader of its own whose parent is
 * the sidecar's, so transports never see each other's client libraries.
 */
final class TransportPlugins {
    /** The folder beside relay.jar that holds one folder of jars per transport. */
    static final String DIRECTORY = "transports";

    private TransportPlugins() {
    }

    /** The transports on the class path and in the distribution's {@value #DIRECTORY} folder, if any. */
    static List<TransportFactory> installed() {
        return installed(distributionDirectory());
    }

    /**
     * The transports on the class path, then one per subfolder of {@code directory} (by name).
     *
     * @param directory a folder of transport folders, or {@code null}
     * @throws OutboxException if the folder cannot be listed
     */
    static List<TransportFactory> installed(Path directory) {
        List<TransportFactory> found = new ArrayList<>();
        ServiceLoader.load(TransportFactory.class, TransportPlugins.class.getClassLoader()).forEach(found::add);
        if (directory == null || !Files.isDirectory(directory)) {
            return found;
        }
        try (Stream<Path> folders = Files.list(directory)) {
            folders.filter(Files::isDirectory).sorted().map(Folder::new).forEach(found::add);
        } catch (IOException e) {
            throw new OutboxException("cannot read the transports folder " + directory + " (" + e + ")", e);
        }
        return found;
    }

    /** Where {@code factory} was loaded from: {@code transports/<folder>} or {@code class path}. */
    static String origin(TransportFactory factory) {
        return factory instanceof Folder folder ? DIRECTORY + "/" + folder.name() : "class path";
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
     * The transport of one folder, loaded on first use. It runs with the folder's class loader
     * as the thread's context class loader: clients find their own classes by name through it
     * (Kafka's producer resolves its configured classes so, and its I/O thread inherits the
     * loader from the thread that creates it), which the sidecar's own class loader cannot see.
     */
    private static final class Folder implements TransportFactory {
        private final Path folder;
        private URLClassLoader loader;
        private TransportFactory factory;

        Folder(Path folder) {
            this.folder = folder;
        }

        @Override
        public String name() {
            return folder.getFileName().toString();
        }

        @Override
        public ConfigModel config() {
            return factory().config();
        }

        @Override
        public Transport create(ConfigValues values) {
            TransportFactory own = factory();
            Transport transport = within(() -> own.create(values));
            return new Transport() {
                @Override
                public List<SendResult> send(List<OutboxMessage> batch) {
                    return within(() -> transport.send(batch));
                }

                @Override
                public boolean keepsOrderWithinBatch() {
                    return transport.keepsOrderWithinBatch();
                }

                @Override
                public void close() {
                    within(() -> {
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

        /** The folder's one factory, whose name must be the folder's. */
        private synchronized TransportFactory factory() {
            if (factory == null) {
                loader = new URLClassLoader("transport-" + name(), jars(), TransportPlugins.class.getClassLoader());
                // The loader also sees its parent's providers; keep only the folder's own.
                List<TransportFactory> own = ServiceLoader.load(TransportFactory.class, loader).stream()
                        .filter(p -> p.type().getClassLoader() == loader).map(ServiceLoader.Provider::get).toList();
                if (own.size() != 1 || !own.get(0).name().equals(name())) {
                    throw new OutboxException(DIRECTORY + "/" + name() + " must hold the jars of exactly one transport,"
                            + " named like the folder (found: " + own.stream().map(TransportFactory::name).toList()
                            + "); each jar lists its factory in META-INF/services/" + TransportFactory.class.getName());
                }
                factory = own.get(0);
            }
            return factory;
        }

        private <T> T within(Supplier<T> action) {
            Thread thread = Thread.currentThread();
            ClassLoader before = thread.getContextClassLoader();
            thread.setContextClassLoader(loader);
            try {
                return action.get();
            } finally {
                thread.setContextClassLoader(before);
            }
        }

        private URL[] jars() {
            try (Stream<Path> files = Files.list(folder)) {
                List<URL> urls = new ArrayList<>();
                for (Path jar : files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList()) {
                    urls.add(jar.toUri().toURL());
                }
                return urls.toArray(URL[]::new);
            } catch (IOException e) {
                throw new OutboxException("cannot read the transport folder " + folder + " (" + e + ")", e);
            }
        }
    }
}
