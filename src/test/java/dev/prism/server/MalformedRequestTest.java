package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.GetModelRequest;
import dev.prism.api.v1.KernelShapParams;
import dev.prism.api.v1.ModelServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bytes that are not a request, sent over TCP to the real methods: each call ends INVALID_ARGUMENT
 * with reason MALFORMED_REQUEST, the server logs one line for it (no stack trace), and goes on
 * serving.
 */
class MalformedRequestTest {
    /** The request bytes as they are, so that the client sends what the test wrote. */
    private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    @TempDir
    static Path dir;
    static PrismServer server;
    static ManagedChannel channel;

    private final List<LogRecord> records = Collections.synchronizedList(new ArrayList<>());
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            records.add(r);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    @BeforeAll
    static void start() throws Exception {
        server = PrismServer.start(ServerOptions.defaults(ServerTestSupport.repository(dir, "iris")).withPorts(0, -1));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        server.close();
    }

    @BeforeEach
    void captureLogs() {
        capture.setLevel(Level.ALL);
        Logger.getLogger("").addHandler(capture);
    }

    @AfterEach
    void releaseLogs() {
        Logger.getLogger("").removeHandler(capture);
    }

    private static ExplainRequest validRequest() {
        return ExplainRequest.newBuilder().setModel("iris").addInputs(floats(1, 5.1, 3.5, 1.4, 0.2))
                .setKernelShap(KernelShapParams.newBuilder().setNsamples(32)).build();
    }

    private static byte[] valid() {
        return validRequest().toByteArray();
    }

    /** Field 15, an unknown group, opened {@code depth} times and closed as often. */
    private static byte[] nestedGroups(int depth) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < depth; i++) {
            out.write(15 << 3 | 3);
        }
        for (int i = 0; i < depth; i++) {
            out.write(15 << 3 | 4);
        }
        return out.toByteArray();
    }

    static Stream<Arguments> malformed() {
        byte[] valid = valid();
        return Stream.of(
                Arguments.of("truncated", Arrays.copyOf(valid, valid.length - 3)),
                // Wire types 6 and 7 do not exist.
                Arguments.of("bad wire type", new byte[] {1 << 3 | 7, 0}),
                // model = 1, a string: 0xC3 opens a two-byte sequence that '(' does not continue.
                Arguments.of("invalid UTF-8", new byte[] {1 << 3 | 2, 2, (byte) 0xC3, '('}),
                Arguments.of("nesting past the recursion limit", nestedGroups(150)));
    }

    /** The bytes are malformed to protobuf itself, whatever the server makes of them. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void theBytesAreNotAnExplainRequest(String what, byte[] bytes) {
        InvalidProtocolBufferException e = org.junit.jupiter.api.Assertions.assertThrows(
                InvalidProtocolBufferException.class, () -> ExplainRequest.parseFrom(CodedInputStream.newInstance(bytes)));
        assertFalse(e.getMessage().isEmpty());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedRequestsAnswerInvalidArgumentAndLogOneLine(String what, byte[] bytes) {
        List<MethodDescriptor<byte[], byte[]>> methods = List.of(
                raw(ExplainServiceGrpc.getExplainMethod()),
                raw(ExplainServiceGrpc.getStreamExplainMethod()),
                raw(ModelServiceGrpc.getGetModelMethod()),
                raw(ModelServiceGrpc.getPredictMethod()),
                raw(HealthGrpc.getCheckMethod()));
        for (MethodDescriptor<byte[], byte[]> method : methods) {
            records.clear();
            StatusRuntimeException e = call(method, bytes);
            assertStatus(e, Status.Code.INVALID_ARGUMENT, "MALFORMED_REQUEST");
            String description = e.getStatus().getDescription();
            assertTrue(description.contains(method.getFullMethodName()), description);

            List<LogRecord> ours = records.stream()
                    .filter(r -> r.getLoggerName().equals(RequestParsing.class.getName())).toList();
            assertEquals(1, ours.size(), () -> method.getFullMethodName() + " logged " + messages(records));
            assertEquals(Level.WARNING, ours.get(0).getLevel());
            assertNull(ours.get(0).getThrown(), "a line, not a stack trace");
            assertFalse(ours.get(0).getMessage().contains("\n"), ours.get(0).getMessage());
            assertTrue(records.stream().noneMatch(r -> r.getThrown() != null),
                    () -> "stack traces logged: " + messages(records));

            // The server goes on serving, on the same connection.
            assertEquals("iris", ModelServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .getModel(GetModelRequest.newBuilder().setName("iris").build()).getName());
        }
        assertEquals(3, ExplainServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .explain(validRequest()).getExplanationsCount(), "iris explained for each of its 3 classes");
    }

    /** Refusals pass through the metrics interceptor like every other answer (recorded as the call completes). */
    @Test
    void malformedRequestsAreCountedWithTheirStatus() throws InterruptedException {
        byte[] valid = valid();
        for (int i = 1; i <= 2; i++) {
            double before = invalidGetModelCalls();
            assertStatus(call(raw(ModelServiceGrpc.getGetModelMethod()), Arrays.copyOf(valid, valid.length - i)),
                    Status.Code.INVALID_ARGUMENT, "MALFORMED_REQUEST");
            ServerTestSupport.eventually(Duration.ofSeconds(10), () -> "GetModel INVALID_ARGUMENT count "
                    + invalidGetModelCalls() + ", was " + before, () -> invalidGetModelCalls() >= before + 1);
            assertEquals(before + 1, invalidGetModelCalls());
        }
    }

    private static double invalidGetModelCalls() {
        io.micrometer.core.instrument.Timer t = server.registry().find("grpc.server.processing.duration")
                .tags("method", "GetModel", "statusCode", "INVALID_ARGUMENT").timer();
        return t == null ? 0 : t.count();
    }

    /** The same bytes, valid, reach the services as before: the parsing moved, not the meaning. */
    @Test
    void validBytesAreServedAsBefore() {
        byte[] answer = ClientCalls.blockingUnaryCall(channel, raw(ExplainServiceGrpc.getExplainMethod()),
                CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), valid());
        assertTrue(answer.length > 0);
        Iterator<byte[]> events = ClientCalls.blockingServerStreamingCall(channel,
                raw(ExplainServiceGrpc.getStreamExplainMethod()),
                CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), valid());
        int count = 0;
        while (events.hasNext()) {
            events.next();
            count++;
        }
        assertTrue(count >= 1, "at least the final event");
        assertEquals("SERVING", HealthGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus().name());
    }

    private static <Q, A> MethodDescriptor<byte[], byte[]> raw(MethodDescriptor<Q, A> method) {
        return method.toBuilder(RAW, RAW).build();
    }

    /** The call, which must fail; a streaming method is read to its end. */
    private static StatusRuntimeException call(MethodDescriptor<byte[], byte[]> method, byte[] bytes) {
        CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS);
        return ServerTestSupport.failure(() -> {
            if (method.getType() == MethodDescriptor.MethodType.SERVER_STREAMING) {
                ClientCalls.blockingServerStreamingCall(channel, method, options, bytes).forEachRemaining(b -> { });
            } else {
                ClientCalls.blockingUnaryCall(channel, method, options, bytes);
            }
        });
    }

    private static List<String> messages(List<LogRecord> records) {
        synchronized (records) {
            return records.stream().map(r -> r.getLoggerName() + " " + r.getLevel() + " " + r.getMessage()
                    + (r.getThrown() == null ? "" : " with " + r.getThrown())).toList();
        }
    }
}
