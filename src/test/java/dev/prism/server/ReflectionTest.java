package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.server.security.SecurityOptions;
import dev.prism.server.security.SecurityOptions.Reflection;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Server reflection over a real port, as grpcurl and ghz use it: both protocol versions list the
 * services and describe the messages of an error status's details, so that a client that knows
 * nothing but what reflection tells decodes them; and who may use reflection.
 */
class ReflectionTest {
    private static final String TOKEN = "reflection-test-5c1e7a90d3b24f68";
    private static final List<String> SERVICES = List.of("grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
            "inference.GRPCInferenceService", "inference.model_repository.ModelRepositoryService",
            "prism.v1.ExampleService", "prism.v1.ExplainService", "prism.v1.ModelService", ReflectionServices.STATUS_DETAILS_SERVICE);

    @TempDir
    static Path dir;
    static Path repo;
    static PrismServer server;
    static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        repo = ServerTestSupport.repository(dir, "iris");
        server = PrismServer.start(ServerOptions.defaults(repo).withPorts(0, -1));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        server.close();
    }

    /** The two reflection protocols, as calls that give what both answer. */
    enum Version {
        V1 {
            @Override
            List<io.grpc.reflection.v1.ServerReflectionResponse> call(Channel channel,
                    io.grpc.reflection.v1.ServerReflectionRequest request) throws Exception {
                CompletableFuture<List<io.grpc.reflection.v1.ServerReflectionResponse>> done =
                        new CompletableFuture<>();
                StreamObserver<io.grpc.reflection.v1.ServerReflectionRequest> requests =
                        io.grpc.reflection.v1.ServerReflectionGrpc.newStub(channel).serverReflectionInfo(collect(done));
                requests.onNext(request);
                requests.onCompleted();
                return done.get(10, TimeUnit.SECONDS);
            }
        },
        V1ALPHA {
            @Override
            List<io.grpc.reflection.v1.ServerReflectionResponse> call(Channel channel,
                    io.grpc.reflection.v1.ServerReflectionRequest request) throws Exception {
                CompletableFuture<List<io.grpc.reflection.v1alpha.ServerReflectionResponse>> done =
                        new CompletableFuture<>();
                StreamObserver<io.grpc.reflection.v1alpha.ServerReflectionRequest> requests =
                        io.grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(channel)
                                .serverReflectionInfo(collect(done));
                // The two protocols' messages are the same on the wire.
                requests.onNext(io.grpc.reflection.v1alpha.ServerReflectionRequest.parseFrom(request.toByteString()));
                requests.onCompleted();
                List<io.grpc.reflection.v1.ServerReflectionResponse> responses = new ArrayList<>();
                for (var r : done.get(10, TimeUnit.SECONDS)) {
                    responses.add(io.grpc.reflection.v1.ServerReflectionResponse.parseFrom(r.toByteString()));
                }
                return responses;
            }
        };

        abstract List<io.grpc.reflection.v1.ServerReflectionResponse> call(Channel channel,
                io.grpc.reflection.v1.ServerReflectionRequest request) throws Exception;

        List<String> services(Channel channel) throws Exception {
            var response = one(call(channel, io.grpc.reflection.v1.ServerReflectionRequest.newBuilder()
                    .setListServices("").build()));
            return response.getListServicesResponse().getServiceList().stream()
                    .map(io.grpc.reflection.v1.ServiceResponse::getName).sorted().toList();
        }

        /** The file declaring the symbol and every file it imports, as reflection sends them. */
        List<FileDescriptorProto> fileContaining(Channel channel, String symbol) throws Exception {
            var response = one(call(channel, io.grpc.reflection.v1.ServerReflectionRequest.newBuilder()
                    .setFileContainingSymbol(symbol).build()));
            assertFalse(response.hasErrorResponse(), () -> symbol + ": " + response.getErrorResponse());
            List<FileDescriptorProto> files = new ArrayList<>();
            for (ByteString bytes : response.getFileDescriptorResponse().getFileDescriptorProtoList()) {
                files.add(FileDescriptorProto.parseFrom(bytes));
            }
            return files;
        }

        private static io.grpc.reflection.v1.ServerReflectionResponse one(
                List<io.grpc.reflection.v1.ServerReflectionResponse> responses) {
            assertEquals(1, responses.size(), responses::toString);
            return responses.get(0);
        }

        private static <T> StreamObserver<T> collect(CompletableFuture<List<T>> done) {
            List<T> responses = new ArrayList<>();
            return new StreamObserver<>() {
                @Override
                public void onNext(T r) {
                    responses.add(r);
                }

                @Override
                public void onError(Throwable t) {
                    done.completeExceptionally(t);
                }

                @Override
                public void onCompleted() {
                    done.complete(responses);
                }
            };
        }
    }

    @Test
    void bothVersionsListTheSameServices() throws Exception {
        for (Version v : Version.values()) {
            assertEquals(SERVICES, v.services(channel), v.name());
        }
    }

    @Test
    void bothVersionsDescribeThePrismServices() throws Exception {
        for (Version v : Version.values()) {
            List<String> methods = new ArrayList<>();
            for (FileDescriptorProto file : v.fileContaining(channel, "prism.v1.ExplainService")) {
                for (ServiceDescriptorProto s : file.getServiceList()) {
                    if (s.getName().equals("ExplainService")) {
                        s.getMethodList().stream().map(MethodDescriptorProto::getName).forEach(methods::add);
                    }
                }
            }
            assertEquals(List.of("Explain", "StreamExplain", "Evaluate"), methods, v.name());
        }
    }

    /** The methods of the service as the file reflection gives for it declares them. */
    private static List<String> describedMethods(Version v, String service) throws Exception {
        List<String> methods = new ArrayList<>();
        String simple = service.substring(service.lastIndexOf('.') + 1);
        for (FileDescriptorProto file : v.fileContaining(channel, service)) {
            for (ServiceDescriptorProto s : file.getServiceList()) {
                if (s.getName().equals(simple)) {
                    s.getMethodList().stream().map(MethodDescriptorProto::getName).forEach(methods::add);
                }
            }
        }
        return methods;
    }

    /**
     * The inference service is described by its published file, without the repository methods
     * that are also served under its name; those are described by the repository service's file.
     */
    @Test
    void bothVersionsDescribeTheOpenInferenceServicesByTheirPublishedFiles() throws Exception {
        for (Version v : Version.values()) {
            assertEquals(List.of("ServerLive", "ServerReady", "ModelReady", "ServerMetadata", "ModelMetadata",
                    "ModelInfer"), describedMethods(v, "inference.GRPCInferenceService"), v.name());
            assertEquals(List.of("RepositoryIndex", "RepositoryModelLoad", "RepositoryModelUnload"),
                    describedMethods(v, "inference.model_repository.ModelRepositoryService"), v.name());
            assertEquals("inference/model_repository.proto", v.fileContaining(channel,
                    "inference.model_repository.ModelRepositoryService").get(0).getName(), v.name());
        }
    }

    @Test
    void bothVersionsDescribeTheStatusDetails() throws Exception {
        for (Version v : Version.values()) {
            for (String symbol : List.of("google.rpc.ErrorInfo", "google.rpc.BadRequest", "google.rpc.RetryInfo")) {
                List<FileDescriptorProto> files = v.fileContaining(channel, symbol);
                assertEquals("google/rpc/error_details.proto", files.get(0).getName(), v + " " + symbol);
                String name = symbol.substring("google.rpc.".length());
                assertTrue(files.get(0).getMessageTypeList().stream().anyMatch(m -> m.getName().equals(name)),
                        v + " " + symbol);
            }
            // The file that brings them in says why it is there.
            FileDescriptorProto own = v.fileContaining(channel, ReflectionServices.STATUS_DETAILS_SERVICE).get(0);
            assertEquals(ReflectionServices.STATUS_DETAILS_FILE, own.getName());
            assertEquals(List.of("google/rpc/error_details.proto", "prism/v1/errors.proto"), own.getDependencyList());
            assertEquals(0, own.getService(0).getMethodCount());
            assertTrue(own.getSourceCodeInfo().getLocation(0).getLeadingComments().contains("google.rpc.ErrorInfo"));
        }
    }

    /**
     * What grpcurl does with an error: each detail's type is looked up by reflection, and the
     * detail decoded with those descriptors alone, not with the classes compiled into this test.
     */
    @Test
    void anErrorsDetailsDecodeWithWhatReflectionTells() throws Exception {
        StatusRuntimeException e = failure(() -> ExplainServiceGrpc.newBlockingStub(channel).explain(
                ExplainRequest.newBuilder().setModel("iris").addInputs(floats(1, 1, 2, 3)).build()));
        assertStatus(e, Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR");
        List<Any> details = StatusProto.fromThrowable(e).getDetailsList();
        assertEquals(2, details.size(), details::toString);
        for (Version v : Version.values()) {
            Map<String, DynamicMessage> decoded = new HashMap<>();
            for (Any detail : details) {
                String type = detail.getTypeUrl().substring(detail.getTypeUrl().lastIndexOf('/') + 1);
                Descriptor descriptor = build(v.fileContaining(channel, type)).findMessageTypeByName(
                        type.substring(type.lastIndexOf('.') + 1));
                decoded.put(type, DynamicMessage.parseFrom(descriptor, detail.getValue()));
            }
            DynamicMessage info = decoded.get("google.rpc.ErrorInfo");
            assertEquals("INVALID_TENSOR", info.getField(info.getDescriptorForType().findFieldByName("reason")));
            assertEquals(StatusMapper.DOMAIN, info.getField(info.getDescriptorForType().findFieldByName("domain")));
            DynamicMessage bad = decoded.get("google.rpc.BadRequest");
            List<?> violations = (List<?>) bad.getField(bad.getDescriptorForType().findFieldByName("field_violations"));
            DynamicMessage first = (DynamicMessage) violations.get(0);
            assertEquals("inputs[0].shape[1]", first.getField(first.getDescriptorForType().findFieldByName("field")),
                    v.name());
            assertEquals(ServerTestSupport.assertViolation(e, "inputs[0].shape[1]"),
                    first.getField(first.getDescriptorForType().findFieldByName("description")), v.name());
        }
    }

    /** The first file with the files it imports (which follow it in a reflection answer) built. */
    private static FileDescriptor build(List<FileDescriptorProto> files) throws Exception {
        Map<String, FileDescriptorProto> byName = new HashMap<>();
        files.forEach(f -> byName.put(f.getName(), f));
        return build(files.get(0), byName, new HashMap<>());
    }

    private static FileDescriptor build(FileDescriptorProto file, Map<String, FileDescriptorProto> byName,
                                        Map<String, FileDescriptor> built) throws Exception {
        FileDescriptor done = built.get(file.getName());
        if (done != null) {
            return done;
        }
        List<FileDescriptor> dependencies = new ArrayList<>();
        for (String d : file.getDependencyList()) {
            assertTrue(byName.containsKey(d), "reflection left out " + d + ", which " + file.getName() + " imports");
            dependencies.add(build(byName.get(d), byName, built));
        }
        FileDescriptor result = FileDescriptor.buildFrom(file, dependencies.toArray(FileDescriptor[]::new));
        built.put(file.getName(), result);
        return result;
    }

    @Test
    void withTokensReflectionNeedsOneByDefaultAndTheFlagOpensOrClosesIt(@TempDir Path own) throws Exception {
        Path tokens = Files.writeString(own.resolve("tokens"), TOKEN + " iris\n");
        Path models = ServerTestSupport.repository(own, "iris");
        SecurityOptions withTokens = SecurityOptions.NONE.withTokensFile(tokens);
        for (Reflection access : new Reflection[] {null, Reflection.TOKENS, Reflection.OPEN, Reflection.OFF}) {
            try (PrismServer prism = PrismServer.start(ServerOptions.defaults(models).withPorts(0, -1),
                    withTokens.withReflection(access))) {
                ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", prism.port()).usePlaintext().build();
                Metadata bearer = new Metadata();
                bearer.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + TOKEN);
                Channel withToken = io.grpc.ClientInterceptors.intercept(ch,
                        MetadataUtils.newAttachHeadersInterceptor(bearer));
                try {
                    for (Version v : Version.values()) {
                        String what = access + " " + v;
                        if (access == Reflection.OFF) {
                            assertEquals(Status.Code.UNIMPLEMENTED, refusal(v, withToken), what);
                        } else if (access == Reflection.OPEN) {
                            assertEquals(SERVICES, v.services(ch), what);
                        } else {
                            assertEquals(Status.Code.UNAUTHENTICATED, refusal(v, ch), what);
                            assertEquals(SERVICES, v.services(withToken), what);
                        }
                    }
                } finally {
                    ch.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    @Test
    void reflectionForTokensNeedsATokensFile() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SecurityOptions.NONE.withReflection(Reflection.TOKENS));
        assertEquals("--reflection tokens needs --tokens-file", e.getMessage());
        assertEquals(Reflection.OPEN, SecurityOptions.NONE.reflectionAccess());
        assertEquals(Reflection.OFF, Reflection.parse("off"));
        assertEquals("--reflection must be open, tokens or off, not 'closed'",
                assertThrows(IllegalArgumentException.class, () -> Reflection.parse("closed")).getMessage());
    }

    private static Status.Code refusal(Version v, Channel channel) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> v.services(channel));
        return Status.fromThrowable(e.getCause()).getCode();
    }
}
