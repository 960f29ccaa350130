package dev.prism.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.server.PrismServer;
import dev.prism.server.ServerOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code prism reload} against a real Prism on a free port, and against no server. */
class ReloadCommandTest {
    @TempDir
    Path repository;

    private static CliRun reload(String... args) {
        return CliRun.of(Stream.concat(Stream.of("reload"), Stream.of(args)).toArray(String[]::new));
    }

    private void copy(String model) throws IOException {
        Path dest = Files.createDirectories(repository.resolve(model));
        try (Stream<Path> files = Files.list(Path.of("models", model))) {
            for (Path f : files.toList()) {
                Files.copy(f, dest.resolve(f.getFileName()));
            }
        }
    }

    @Test
    void reloadServesAFolderAddedSinceTheStart() throws IOException {
        copy("iris");
        try (PrismServer prism = PrismServer.start(ServerOptions.defaults(repository).withPorts(0, -1))) {
            copy("diabetes");
            CliRun run = reload("--target", "127.0.0.1:" + prism.port());
            assertEquals(0, run.exit(), run.err());
            assertEquals("added: [diabetes], replaced: [], removed: []", run.out().strip());
        }
    }

    @Test
    void noServerExitsTwo() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        CliRun run = reload("--target", "127.0.0.1:" + port, "--timeout", "5");
        assertEquals(2, run.exit(), run.out() + run.err());
        assertEquals("prism reload: cannot connect to 127.0.0.1:" + port + " (connection failed)", run.err().strip());
    }
}
