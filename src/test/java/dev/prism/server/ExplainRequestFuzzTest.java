package dev.prism.server;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.onnx.OnnxModelLoader;
import dev.prism.repository.ModelRepository;
import dev.prism.runner.RequestContext;
import io.grpc.Status;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Request decoding and validation under arbitrary bytes: every request is either prepared or
 * refused with a {@link PrismException} whose status is not INTERNAL. Anything else thrown
 * (NullPointerException, ArithmeticException, OutOfMemoryError, ...) is a finding.
 *
 * <p>Seeds: {@code src/test/resources/dev/prism/server/ExplainRequestFuzzTestInputs/}.
 */
class ExplainRequestFuzzTest {
    private static ServedModels models;
    private static ExplainRequestCodec codec;

    @BeforeAll
    static void serveModels() throws IOException {
        Path repo = ServerTestSupport.repository(Files.createTempDirectory("prism-fuzz"), "iris", "digits", "linear");
        ServerOptions options = ServerOptions.defaults(repo);
        ModelRepository repository = ModelRepository.load(repo, new OnnxModelLoader(options.intraOpThreads()),
                options.device(), UnaryOperator.identity());
        models = new ServedModels(repository, options, new SimpleMeterRegistry());
        codec = new ExplainRequestCodec(models, options.limits());
    }

    @AfterAll
    static void close() {
        models.close();
    }

    @FuzzTest
    void everyRequestIsPreparedOrRefusedWithAMappedStatus(byte[] bytes) {
        ExplainRequest request;
        try {
            request = ExplainRequest.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            return;
        }
        RequestContext context = RequestContext.detached();
        try {
            codec.prepare(request, context);
        } catch (PrismException e) {
            Status status = StatusMapper.toStatus(e).getStatus();
            if (status.getCode() == Status.Code.INTERNAL) {
                throw new AssertionError("a refused request maps to INTERNAL: " + status, e);
            }
        } finally {
            context.cancel(Reason.CANCELLED);
        }
    }
}
