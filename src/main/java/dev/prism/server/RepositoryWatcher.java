package dev.prism.server;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Watches the model repository and each folder in it, and reloads once the files have been quiet
 * for the debounce period: copying a model takes several events, and a reload in the middle of
 * them would load (and refuse) a half-written file.
 */
final class RepositoryWatcher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RepositoryWatcher.class.getName());

    private final Path root;
    private final Duration debounce;
    private final Runnable reload;
    private final WatchService watch;
    private final Thread thread;

    RepositoryWatcher(Path root, Duration debounce, Runnable reload) throws IOException {
        this.root = root;
        this.debounce = debounce;
        this.reload = reload;
        this.watch = root.getFileSystem().newWatchService();
        registerFolders();
        this.thread = new Thread(this::watchLoop, "prism-model-watch");
        thread.setDaemon(true);
        thread.start();
    }

    /** The repository and every folder in it; registering a folder twice is harmless. */
    private void registerFolders() throws IOException {
        register(root);
        try (Stream<Path> s = Files.list(root)) {
            for (Path folder : s.filter(Files::isDirectory).toList()) {
                register(folder);
            }
        }
    }

    private void register(Path folder) throws IOException {
        folder.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
                StandardWatchEventKinds.ENTRY_MODIFY);
    }

    private void watchLoop() {
        try {
            while (true) {
                drain(watch.take());
                WatchKey more;
                while ((more = watch.poll(debounce.toMillis(), TimeUnit.MILLISECONDS)) != null) {
                    drain(more);
                }
                try {
                    registerFolders(); // folders that appeared since
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "cannot watch the model repository: " + e);
                }
                try {
                    reload.run();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "model reload failed", e);
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        }
    }

    private static void drain(WatchKey key) {
        key.pollEvents();
        key.reset();
    }

    @Override
    public void close() {
        try {
            watch.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "closing the model watch: " + e);
        }
        thread.interrupt();
    }
}
