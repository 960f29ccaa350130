package dev.prism.cli;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A target naming several servers, {@code host:port,host:port,...}: the channel balances over all of
 * them, as over the addresses of a {@code dns:///} name. gRPC has no scheme for a fixed list, so the
 * command line registers one ({@value #SCHEME}) at a lower priority than DNS, which stays the
 * default for a target without a scheme.
 */
final class ReplicaList extends NameResolverProvider {
    static final String SCHEME = "replicas";

    private ReplicaList() {}

    /** The channel target for what --target says: a list becomes this scheme's URI, anything else stays. */
    static String target(String given) {
        if (!given.contains(",")) {
            return given;
        }
        register();
        return SCHEME + ":///" + given.replace(" ", "");
    }

    private static boolean registered;

    /** Registers the provider once per process, on first use. */
    private static synchronized void register() {
        if (!registered) {
            NameResolverRegistry.getDefaultRegistry().register(new ReplicaList());
            registered = true;
        }
    }

    @Override
    protected boolean isAvailable() {
        return true;
    }

    @Override
    protected int priority() {
        return 1;
    }

    @Override
    public String getDefaultScheme() {
        return SCHEME;
    }

    @Override
    public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
        return List.of(InetSocketAddress.class);
    }

    @Override
    public NameResolver newNameResolver(URI uri, NameResolver.Args args) {
        if (!SCHEME.equals(uri.getScheme())) {
            return null;
        }
        String list = uri.getPath().startsWith("/") ? uri.getPath().substring(1) : uri.getPath();
        String[] entries = list.split(",");
        return new NameResolver() {
            @Override
            public String getServiceAuthority() {
                // The first server's name: what TLS checks its certificate against, as for one target.
                return entries[0];
            }

            @Override
            public void start(Listener2 listener) {
                List<EquivalentAddressGroup> groups = new ArrayList<>();
                for (String entry : entries) {
                    int colon = entry.lastIndexOf(':');
                    if (colon < 1) {
                        listener.onError(Status.INVALID_ARGUMENT.withDescription("'" + entry
                                + "' in the target list is not host:port"));
                        return;
                    }
                    try {
                        String host = entry.substring(0, colon).replace("[", "").replace("]", "");
                        groups.add(new EquivalentAddressGroup(new InetSocketAddress(host,
                                Integer.parseInt(entry.substring(colon + 1)))));
                    } catch (IllegalArgumentException e) {
                        listener.onError(Status.INVALID_ARGUMENT.withDescription("'" + entry
                                + "' in the target list is not host:port"));
                        return;
                    }
                }
                listener.onResult(ResolutionResult.newBuilder().setAddressesOrError(
                        io.grpc.StatusOr.fromValue(groups)).build());
            }

            @Override
            public void shutdown() {
            }
        };
    }
}
