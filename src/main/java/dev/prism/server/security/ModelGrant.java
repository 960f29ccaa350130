package dev.prism.server.security;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import io.grpc.Context;
import java.util.Set;

/**
 * The models a call may use. The authentication interceptor attaches it to the call's gRPC
 * {@link Context}; the services read it where they resolve a model name, so no service can forget
 * the check. Calls on a server without tokens see {@link #ALL}.
 */
public final class ModelGrant {
    public static final ModelGrant ALL = new ModelGrant(null);
    static final Context.Key<ModelGrant> KEY = Context.keyWithDefault("prism-model-grant", ALL);

    /** Allowed model names; null = every model. */
    private final Set<String> models;

    private ModelGrant(Set<String> models) {
        this.models = models;
    }

    static ModelGrant of(Set<String> models) {
        return new ModelGrant(Set.copyOf(models));
    }

    /** The grant of the call running on this thread. */
    public static ModelGrant current() {
        return KEY.get();
    }

    public boolean allows(String model) {
        return models == null || models.contains(model);
    }

    /** Whether the call may use every model, present and future ('*'): what server-wide operations need. */
    private boolean allowsAll() {
        return models == null;
    }

    /**
     * Refuses a call whose token may not use every model: changes to what is served (a reload, a
     * load or an unload) can serve models that no allow list names yet.
     *
     * @param action what the call does, e.g. "reloading models"
     */
    public static void requireAll(String action) {
        if (!current().allowsAll()) {
            throw new PrismException(Reason.PERMISSION_DENIED, action + " needs a token allowed every model ('*')");
        }
    }

    Context attachTo(Context context) {
        return context.withValue(KEY, this);
    }
}
