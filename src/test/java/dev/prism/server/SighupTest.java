package dev.prism.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.api.v1.ListModelsRequest;
import dev.prism.api.v1.ModelInfo;
import dev.prism.api.v1.ModelServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code prism serve} as a process: SIGHUP reloads the model repository and the process keeps serving. */
class SighupTest {
    @TempDir
    Path dir;

    @Test
    void sighupServesAFolderAddedSinceTheStart() throws Exception {
        Path repository = ServerTestSupport.repository(dir, "iris");
        Path more = ServerTestSupport.repository(dir.resolve("more"), "diabetes");
        Path argfile = dir.resolve("java.args");
        Files.writeString(argfile, "-cp \"" + System.getProperty("java.class.path").replace("\\", "\\\\") + "\"\n");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + argfile, "dev.prism.cli.PrismCli", "serve", "--port", "0", "--metrics-port", "-1",
                "--model-repository", repository.toString())
                .redirectErrorStream(true).start();
        ManagedChannel channel = null;
        try {
            int port = SigtermTest.awaitPort(process);
            channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
            var models = ModelServiceGrpc.newBlockingStub(channel);
            assertEquals(List.of("iris"), names(models));

            Files.move(more.resolve("diabetes"), repository.resolve("diabetes"));
            new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).inheritIO().start().waitFor();

            ServerTestSupport.eventually(Duration.ofSeconds(60), () -> "diabetes after SIGHUP",
                    () -> names(models).contains("diabetes"));
            assertEquals(List.of("diabetes", "iris"), names(models));
        } finally {
            if (channel != null) {
                channel.shutdownNow();
            }
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    private static List<String> names(ModelServiceGrpc.ModelServiceBlockingStub models) {
        return models.withDeadlineAfter(30, TimeUnit.SECONDS).listModels(ListModelsRequest.getDefaultInstance())
                .getModelsList().stream().map(ModelInfo::getName).toList();
    }

    /**
     * Under nohup the process starts with SIGHUP ignored, and the JVM cannot take an ignored signal
     * back: the server says so at start. The launcher gives the JVM SIGHUP's default disposition
     * (env --default-signal), and then SIGHUP reloads as usual.
     */
    @Test
    void underNohupTheServerSaysSoAndTheLaunchersWayRestoresReload() throws Exception {
        Path repository = ServerTestSupport.repository(dir, "iris");
        List<String> ignoringHup = List.of("bash", "-c", "trap '' HUP; exec \"$@\"", "bash");
        try (ServerProcess ignored = ServerProcess.start(Files.createDirectories(dir.resolve("a")), ignoringHup,
                List.of(), List.of("--model-repository", repository.toString()))) {
            assertTrue(ignored.output().contains("SIGHUP is ignored by this process"), ignored.output());
        }
        List<String> launcherWay = List.of("bash", "-c", "trap '' HUP; exec env --default-signal=HUP \"$@\"", "bash");
        Path more = ServerTestSupport.repository(dir.resolve("more"), "diabetes");
        try (ServerProcess restored = ServerProcess.start(Files.createDirectories(dir.resolve("b")), launcherWay,
                List.of(), List.of("--model-repository", repository.toString()))) {
            assertFalse(restored.output().contains("SIGHUP is ignored"), restored.output());
            Files.move(more.resolve("diabetes"), repository.resolve("diabetes"));
            new ProcessBuilder("kill", "-HUP", Long.toString(restored.process.pid())).inheritIO().start().waitFor();
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", restored.port).usePlaintext().build();
            try {
                var models = ModelServiceGrpc.newBlockingStub(channel);
                ServerTestSupport.eventually(Duration.ofSeconds(60), () -> "diabetes after SIGHUP",
                        () -> names(models).contains("diabetes"));
            } finally {
                channel.shutdownNow();
            }
        }
    }
}
