package dev.prism.server;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.DescriptorProtos.SourceCodeInfo;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.rpc.ErrorDetailsProto;
import dev.prism.api.v1.ErrorsProto;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoFileDescriptorSupplier;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.util.List;

/**
 * Server reflection, as {@code grpc.reflection.v1} and the older {@code grpc.reflection.v1alpha}
 * that some tools still use, both describing the same files.
 *
 * <p>gRPC's reflection describes the files of the served services and what they import, and no
 * served file imports the messages that every error status carries in its details
 * ({@code google.rpc.ErrorInfo}, {@code BadRequest}, {@code RetryInfo}), nor Prism's
 * {@code ErrorReason}. A tool such as grpcurl then cannot decode a status's details and prints
 * them as base64. So a service without methods, {@value #STATUS_DETAILS_SERVICE}, is served whose
 * file imports those two files: reflection describes them, and its own file says why it is there.
 */
final class ReflectionServices {
    static final String STATUS_DETAILS_SERVICE = "prism.v1.StatusDetails";
    static final String STATUS_DETAILS_FILE = "prism/v1/status_details.proto";
    private static final String WHY = " Has no methods. Served so that server reflection also describes the messages"
            + " every error status carries in its details: google.rpc.ErrorInfo (with a prism.v1.ErrorReason),"
            + " google.rpc.BadRequest and google.rpc.RetryInfo.\n";

    private ReflectionServices() {}

    /** Both reflection services and the status details service, each behind the given interceptors. */
    @SuppressWarnings("deprecation") // v1alpha is deprecated, and still what ghz and older grpcurl ask for
    static List<ServerServiceDefinition> definitions(List<ServerInterceptor> interceptors) {
        return List.of(
                ServerInterceptors.intercept(RequestParsing.parsedInCall(ProtoReflectionServiceV1.newInstance()),
                        interceptors),
                ServerInterceptors.intercept(RequestParsing.parsedInCall(
                        io.grpc.protobuf.services.ProtoReflectionService.newInstance()), interceptors),
                statusDetails());
    }

    /** The methodless service whose file imports the status details' files. */
    static ServerServiceDefinition statusDetails() {
        FileDescriptor errorDetails = ErrorDetailsProto.getDescriptor();
        FileDescriptor reasons = ErrorsProto.getDescriptor();
        FileDescriptorProto proto = FileDescriptorProto.newBuilder()
                .setName(STATUS_DETAILS_FILE)
                .setPackage("prism.v1")
                .setSyntax("proto3")
                .addDependency(errorDetails.getName())
                .addDependency(reasons.getName())
                .addService(ServiceDescriptorProto.newBuilder().setName("StatusDetails"))
                // The service's leading comment: path 6 (FileDescriptorProto.service), index 0.
                .setSourceCodeInfo(SourceCodeInfo.newBuilder().addLocation(SourceCodeInfo.Location.newBuilder()
                        .addPath(FileDescriptorProto.SERVICE_FIELD_NUMBER).addPath(0)
                        .addSpan(0).addSpan(0).addSpan(0)
                        .setLeadingComments(WHY)))
                .build();
        FileDescriptor file;
        try {
            file = FileDescriptor.buildFrom(proto, new FileDescriptor[] {errorDetails, reasons});
        } catch (DescriptorValidationException e) {
            throw new IllegalStateException("the status details file does not build", e);
        }
        ProtoFileDescriptorSupplier schema = () -> file;
        return ServerServiceDefinition.builder(ServiceDescriptor.newBuilder(STATUS_DETAILS_SERVICE)
                .setSchemaDescriptor(schema).build()).build();
    }
}
