package dev.prism.server.security;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.server.StatusMapper;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import java.util.Optional;

/**
 * Requires {@code authorization: Bearer <token>} metadata naming a listed token: otherwise the call
 * ends UNAUTHENTICATED before it reaches the service. A known token's {@link ModelGrant} goes with
 * the call, for the services to refuse other models with PERMISSION_DENIED.
 */
public final class TokenAuthInterceptor implements ServerInterceptor {
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final String BEARER = "bearer ";

    private final TokensFile tokens;

    public TokenAuthInterceptor(TokensFile tokens) {
        this.tokens = tokens;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                      ServerCallHandler<Q, A> next) {
        String header = headers.get(AUTHORIZATION);
        Optional<ModelGrant> grant = Optional.empty();
        String refusal = "the call needs 'authorization: Bearer <token>' metadata";
        if (header != null && header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            grant = tokens.current().grantOf(header.substring(BEARER.length()).strip());
            refusal = "the bearer token is not one this server knows";
        }
        if (grant.isEmpty()) {
            StatusRuntimeException status = StatusMapper.toStatus(new PrismException(Reason.UNAUTHENTICATED, refusal));
            call.close(status.getStatus(), status.getTrailers());
            return new ServerCall.Listener<>() {};
        }
        Context context = grant.get().attachTo(Context.current());
        return Contexts.interceptCall(context, call, headers, next);
    }
}
