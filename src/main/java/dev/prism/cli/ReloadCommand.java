package dev.prism.cli;

import dev.prism.api.v1.ModelServiceGrpc;
import dev.prism.api.v1.RefusedModel;
import dev.prism.api.v1.ReloadModelsRequest;
import dev.prism.api.v1.ReloadModelsResponse;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * Asks a running server to rescan its model repository (ReloadModels), the way to reload where
 * SIGHUP cannot reach the process, or is ignored by it (a server started under nohup).
 */
@Command(name = "reload", mixinStandardHelpOptions = true, versionProvider = PrismVersion.class,
        description = "Reloads a running server's model repository (and tokens file): exit 0 when it answered,"
                + " 1 when it refused, 2 when it cannot be reached.")
final class ReloadCommand implements Callable<Integer> {
    @Option(names = "--target", defaultValue = "localhost:50051", description = "Server address (default ${DEFAULT-VALUE}).")
    String target;

    @Option(names = "--timeout", defaultValue = "120",
            description = "Seconds for connecting and the reload, which loads every changed model"
                    + " (default ${DEFAULT-VALUE}).")
    double timeoutSeconds;

    @CommandLine.Mixin
    ClientConnection connection;

    @Override
    public Integer call() throws InterruptedException {
        long deadline = System.nanoTime() + connection.timeoutNanos(timeoutSeconds);
        ManagedChannel channel = connection.open(target);
        try {
            if (!connection.connect(channel, target, timeoutSeconds, deadline)) {
                return 2;
            }
            ReloadModelsResponse r = ModelServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)
                    .reloadModels(ReloadModelsRequest.getDefaultInstance());
            System.out.println("added: " + r.getAddedList() + ", replaced: " + r.getReplacedList() + ", removed: "
                    + r.getRemovedList());
            for (RefusedModel refused : r.getRefusedList()) {
                System.out.println("refused " + refused.getName() + ": " + refused.getReason());
            }
            if (!r.getTokensRefused().isEmpty()) {
                System.out.println("tokens file refused: " + r.getTokensRefused());
            }
            return 0;
        } catch (StatusRuntimeException e) {
            System.err.println("prism reload: " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
            return switch (e.getStatus().getCode()) {
                case UNAVAILABLE, DEADLINE_EXCEEDED -> 2;
                default -> 1;
            };
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
