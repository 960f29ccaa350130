package dev.prism.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.server.PrismServer;
import dev.prism.server.ServerOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code prism reload} against a real Prism on a free port, and against no server. */
class ReloadCommandTest {
    @TempDir
    Path repository;

    private record Run(int exit, String out, String err) {}

    private static Run reload(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            String[] command = Stream.concat(Stream.of("reload"), Stream.of(args)).toArray(String[]::new);
            int exit = new CommandLine(new PrismCli()).execute(command);
            return new Run(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
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
            Run run = reload("--target", "127.0.0.1:" + prism.port());
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
        Run run = reload("--target", "127.0.0.1:" + port, "--timeout", "5");
        assertEquals(2, run.exit(), run.out() + run.err());
        assertTrue(run.err().startsWith("prism reload: UNAVAILABLE"), run.err());
    }
}
