package dev.prism.cli;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * A gRPC health probe ({@code grpc.health.v1.Health/Check}) for container health checks. Connecting
 * comes first, so that a server that cannot be reached (exit 2) is told apart from one that answers
 * anything but SERVING (exit 1).
 */
@Command(name = "health", mixinStandardHelpOptions = true, versionProvider = PrismVersion.class,
        description = "Checks a Prism server's gRPC health: exit 0 when SERVING, 1 otherwise, 2 when it cannot"
                + " connect.")
final class HealthCommand implements Callable<Integer> {
    static final int SERVING = 0;
    static final int NOT_SERVING = 1;
    static final int UNREACHABLE = 2;

    @Option(names = "--target", defaultValue = "localhost:50051", description = "Server address, or a name resolving to"
            + " several replicas (dns:///host:port), whose calls are spread round robin (default ${DEFAULT-VALUE}).")
    String target;

    @Option(names = "--service", defaultValue = "",
            description = "Service to check, e.g. prism.v1.ExplainService (default: the whole server).")
    String service;

    @Option(names = "--timeout", defaultValue = "5",
            description = "Seconds for connecting and the check together (default ${DEFAULT-VALUE}).")
    double timeoutSeconds;

    @CommandLine.Mixin
    ClientConnection connection;

    @Override
    public Integer call() throws InterruptedException {
        long deadline = System.nanoTime() + connection.timeoutNanos(timeoutSeconds);
        ManagedChannel channel = connection.open(target);
        try {
            if (!connection.connect(channel, target, timeoutSeconds, deadline)) {
                return UNREACHABLE;
            }
            HealthCheckResponse.ServingStatus status = HealthGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)
                    .check(HealthCheckRequest.newBuilder().setService(service).build())
                    .getStatus();
            System.out.println(status);
            return status == HealthCheckResponse.ServingStatus.SERVING ? SERVING : NOT_SERVING;
        } catch (StatusRuntimeException e) {
            // Connected, but the check itself failed, e.g. NOT_FOUND for a service the server does not know.
            System.err.println("prism health: " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
            return NOT_SERVING;
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
