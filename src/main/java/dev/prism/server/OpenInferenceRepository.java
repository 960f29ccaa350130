package dev.prism.server;

import dev.prism.error.ClientText;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.server.security.ModelGrant;
import inference.GRPCInferenceServiceGrpc;
import inference.model_repository.ModelRepository.RepositoryIndexRequest;
import inference.model_repository.ModelRepository.RepositoryIndexResponse;
import inference.model_repository.ModelRepository.RepositoryModelLoadRequest;
import inference.model_repository.ModelRepository.RepositoryModelLoadResponse;
import inference.model_repository.ModelRepository.RepositoryModelUnloadRequest;
import inference.model_repository.ModelRepository.RepositoryModelUnloadResponse;
import inference.model_repository.ModelRepositoryServiceGrpc;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;

/**
 * The Open Inference Protocol's repository extension on Prism's one model repository, mapped onto
 * {@link ModelReloader}: RepositoryIndex lists every model folder (READY with the version serving,
 * or UNAVAILABLE with the reason), RepositoryModelLoad loads or reloads one folder as a reload
 * does, and RepositoryModelUnload stops serving a model until it is loaded again.
 *
 * <p>Served twice: as MLServer's {@code inference.model_repository.ModelRepositoryService}, and,
 * through {@link #addedTo}, under {@code inference.GRPCInferenceService}, where Triton's server and
 * client put the same methods. Triton's messages have the same fields under the same numbers, and
 * one more: {@code parameters} (3), which a load may use to send a config or files; a load that
 * brings them is refused, as Prism loads a model only from its folder. An unload's parameters
 * ({@code unload_dependents}) change nothing, as no model depends on another.
 *
 * <p>Load and unload change what is served, so, as ReloadModels, they need a token allowed every
 * model; the index lists only the models the call's token may use.
 */
final class OpenInferenceRepository extends ModelRepositoryServiceGrpc.ModelRepositoryServiceImplBase {
    static final String READY = "READY";
    static final String UNAVAILABLE = "UNAVAILABLE";
    /** The extension's name in ServerMetadata. */
    static final String EXTENSION = "model_repository";
    /** Triton's {@code parameters} field of RepositoryModelLoadRequest, which MLServer's message lacks. */
    private static final int TRITON_PARAMETERS = 3;

    private final ModelReloader reloader;

    OpenInferenceRepository(ModelReloader reloader) {
        this.reloader = reloader;
    }

    @Override
    public void repositoryIndex(RepositoryIndexRequest request, StreamObserver<RepositoryIndexResponse> observer) {
        try {
            checkRepository(request.getRepositoryName());
            ModelGrant grant = ModelGrant.current();
            RepositoryIndexResponse.Builder r = RepositoryIndexResponse.newBuilder();
            for (ModelReloader.Folder f : reloader.index()) {
                if (!grant.allows(f.name()) || request.getReady() && f.served() == null) {
                    continue;
                }
                r.addModels(RepositoryIndexResponse.ModelIndex.newBuilder().setName(f.name())
                        .setVersion(f.served() == null ? "" : f.served().version())
                        .setState(f.served() == null ? UNAVAILABLE : READY).setReason(f.reason()));
            }
            observer.onNext(r.build());
            observer.onCompleted();
        } catch (Throwable t) {
            observer.onError(StatusMapper.toStatus(t));
        }
    }

    @Override
    public void repositoryModelLoad(RepositoryModelLoadRequest request,
                                    StreamObserver<RepositoryModelLoadResponse> observer) {
        try {
            ModelGrant.requireAll("loading models");
            checkRepository(request.getRepositoryName());
            if (request.getUnknownFields().hasField(TRITON_PARAMETERS)) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, "parameters", "Prism loads a model from its"
                        + " folder as it is; a config or files sent with the load are not supported");
            }
            reloader.load(required(request.getModelName()));
            observer.onNext(RepositoryModelLoadResponse.getDefaultInstance());
            observer.onCompleted();
        } catch (Throwable t) {
            observer.onError(StatusMapper.toStatus(t));
        }
    }

    @Override
    public void repositoryModelUnload(RepositoryModelUnloadRequest request,
                                      StreamObserver<RepositoryModelUnloadResponse> observer) {
        try {
            ModelGrant.requireAll("unloading models");
            checkRepository(request.getRepositoryName());
            reloader.unload(required(request.getModelName()));
            observer.onNext(RepositoryModelUnloadResponse.getDefaultInstance());
            observer.onCompleted();
        } catch (Throwable t) {
            observer.onError(StatusMapper.toStatus(t));
        }
    }

    private static String required(String modelName) {
        if (modelName.isEmpty()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "model_name", "is required");
        }
        return modelName;
    }

    /** Prism has one repository, which an empty name means; any other name is not found. */
    private static void checkRepository(String name) {
        if (!name.isEmpty()) {
            throw new PrismException(Reason.MODEL_NOT_FOUND, "no model repository " + ClientText.quote(name)
                    + "; Prism serves one, named by an empty repository_name");
        }
    }

    /**
     * The inference service's definition with this extension's methods added under the inference
     * service's name ({@code /inference.GRPCInferenceService/RepositoryIndex}, ...), run by this
     * object as the ones under its own name are. Server reflection describes the service by its
     * published file, which has no repository methods: it lists the canonical methods only, and
     * the repository's are described under ModelRepositoryService.
     */
    ServerServiceDefinition addedTo(ServerServiceDefinition inference) {
        String service = GRPCInferenceServiceGrpc.SERVICE_NAME;
        ServerServiceDefinition repository = bindService();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(service)
                .setSchemaDescriptor(inference.getServiceDescriptor().getSchemaDescriptor());
        inference.getServiceDescriptor().getMethods().forEach(descriptor::addMethod);
        List<ServerMethodDefinition<?, ?>> added = new ArrayList<>();
        for (ServerMethodDefinition<?, ?> m : repository.getMethods()) {
            ServerMethodDefinition<?, ?> renamed = renamed(m, service);
            descriptor.addMethod(renamed.getMethodDescriptor());
            added.add(renamed);
        }
        ServerServiceDefinition.Builder definition = ServerServiceDefinition.builder(descriptor.build());
        inference.getMethods().forEach(definition::addMethod);
        added.forEach(definition::addMethod);
        return definition.build();
    }

    /** The method under another service's name, with the same messages and handler. */
    private static <Q, A> ServerMethodDefinition<Q, A> renamed(ServerMethodDefinition<Q, A> m, String service) {
        MethodDescriptor<Q, A> d = m.getMethodDescriptor();
        return ServerMethodDefinition.create(d.toBuilder()
                .setFullMethodName(MethodDescriptor.generateFullMethodName(service, d.getBareMethodName()))
                // The schema names ModelRepositoryService's method, which this one is not.
                .setSchemaDescriptor(null)
                .build(), m.getServerCallHandler());
    }
}
