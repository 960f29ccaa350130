package dev.prism.cli;

import io.grpc.ChannelCredentials;
import io.grpc.ConnectivityState;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The client side of a secured server, shared by the commands that call one: TLS files and a bearer token. */
final class ClientConnection {
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--tls", description = "Connect with TLS, trusting the system's CAs (implied by --tls-ca and --tls-cert).")
    boolean tls;

    @Option(names = "--tls-ca", description = "PEM CA certificates to verify the server with; turns TLS on.")
    Path tlsCa;

    @Option(names = "--tls-cert", description = "PEM client certificate chain for mutual TLS; needs --tls-key.")
    Path tlsCert;

    @Option(names = "--tls-key", description = "PEM PKCS#8 private key of --tls-cert.")
    Path tlsKey;

    @Option(names = "--token", description = "Bearer token sent as 'authorization: Bearer <token>'.")
    String token;

    /** The nanoseconds of a command's --timeout; one that is not a positive number is a usage error. */
    long timeoutNanos(double seconds) {
        if (!(seconds > 0)) {
            throw new ParameterException(spec.commandLine(), "--timeout must be a positive number of seconds, got "
                    + seconds);
        }
        return (long) (seconds * 1e9);
    }

    /** A channel to target with these options; half a key pair or an unreadable file is a usage error. */
    ManagedChannel open(String target) {
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new ParameterException(spec.commandLine(), "--tls-cert and --tls-key go together");
        }
        ChannelCredentials credentials;
        try {
            credentials = credentials();
        } catch (IOException | IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "cannot use the TLS files: " + e.getMessage());
        }
        // round_robin spreads calls over every address the target resolves to: the replicas behind a
        // headless Service (dns:///prism-headless.ns.svc.cluster.local:50051), a list of servers
        // (host:port,host:port), or one server.
        NettyChannelBuilder builder = NettyChannelBuilder.forTarget(ReplicaList.target(target), credentials)
                .defaultLoadBalancingPolicy("round_robin");
        if (token != null) {
            Metadata headers = new Metadata();
            headers.put(AUTHORIZATION, "Bearer " + token);
            builder.intercept(MetadataUtils.newAttachHeadersInterceptor(headers));
        }
        return builder.build();
    }

    /**
     * Connects the channel before its first call, so that a server that cannot be reached is told
     * apart from one that answers with an error: when it cannot connect by the deadline, prints
     * "prism COMMAND: cannot connect to TARGET" with why and returns false.
     *
     * @param timeoutSeconds the command's limit, for the message
     * @param deadline       when to give up, as System.nanoTime()
     */
    boolean connect(ManagedChannel channel, String target, double timeoutSeconds, long deadline)
            throws InterruptedException {
        ConnectivityState state = channel.getState(true);
        while (state != ConnectivityState.READY && state != ConnectivityState.TRANSIENT_FAILURE) {
            CountDownLatch changed = new CountDownLatch(1);
            channel.notifyWhenStateChanged(state, changed::countDown);
            if (!changed.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                break;
            }
            state = channel.getState(true);
        }
        if (state == ConnectivityState.READY) {
            return true;
        }
        String command = spec.qualifiedName();
        if (state == ConnectivityState.TRANSIENT_FAILURE) {
            System.err.println(command + ": cannot connect to " + target + " (connection failed)");
        } else {
            System.err.printf(Locale.ROOT, "%s: cannot connect to %s within %s s (still %s)%n", command, target,
                    timeoutSeconds, state);
        }
        return false;
    }

    private ChannelCredentials credentials() throws IOException {
        if (!tls && tlsCa == null && tlsCert == null) {
            return InsecureChannelCredentials.create();
        }
        TlsChannelCredentials.Builder credentials = TlsChannelCredentials.newBuilder();
        if (tlsCa != null) {
            credentials.trustManager(tlsCa.toFile());
        }
        if (tlsCert != null) {
            credentials.keyManager(tlsCert.toFile(), tlsKey.toFile());
        }
        return credentials.build();
    }
}
