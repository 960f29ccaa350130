package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.assertViolation;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.ExplicitGroups;
import dev.prism.api.v1.FeatureGroup;
import dev.prism.api.v1.FeatureGroups;
import dev.prism.api.v1.IntegratedGradientsParams;
import dev.prism.api.v1.KernelShapParams;
import dev.prism.api.v1.LimeParams;
import dev.prism.api.v1.PermutationShapParams;
import dev.prism.api.v1.Tensor;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every request limit refuses what is past it, naming the limit and its value, and the server keeps serving. */
class RequestLimitsTest {
    private static final RequestLimits SMALL = new RequestLimits(64 * 1024, 3, 10, 5, 1_000, 1_000_000_000L);

    @TempDir
    Path dir;

    @Test
    void eachLimitRefusesWhatIsPastItAndNamesIt() throws Exception {
        ServerOptions options = ServerTestSupport.inProcessOptions(ServerTestSupport.repository(dir, "breast_cancer",
                "digits_cnn")).withLimits(SMALL);
        try (ServerTestSupport.InProcess prism = new ServerTestSupport.InProcess(options)) {
            ExplainServiceGrpc.ExplainServiceBlockingStub explain = prism.explain();
            assertOverLimit(explain, "inputs", "4 instances", "max_instances = 3",
                    r -> r.clearInputs().addInputs(floats(4, ServerTestSupport.backgroundRows("breast_cancer", 4))));
            // Each request below is one within every limit (6 groups of breast_cancer's 30 features, 2
            // instances, 200 samples) with one change; ungrouped, its 30 features are past max_features.
            assertOverLimit(explain, "inputs", "30 features", "max_features = 10", ExplainRequest.Builder::clearFeatureGroups);
            assertOverLimit(explain, "background.shape[0]", "6 background rows", "max_background_rows = 5",
                    r -> r.setBackground(floats(6, ServerTestSupport.backgroundRows("breast_cancer", 6))));
            assertOverLimit(explain, "kernel_shap.nsamples", "1001", "max_samples = 1000",
                    r -> r.setKernelShap(KernelShapParams.newBuilder().setNsamples(1_001)));
            assertOverLimit(explain, "lime.num_samples", "5000", "max_samples = 1000",
                    r -> r.setLime(LimeParams.newBuilder().setNumSamples(5_000)));
            assertOverLimit(explain, "permutation_shap.max_evals", "2000", "max_samples = 1000",
                    r -> r.setPermutationShap(PermutationShapParams.newBuilder().setMaxEvals(2_000)));

            // Gradient methods are not held to max_features (their cost does not grow with it): 64
            // pixels of digits_cnn pass, but n_steps is a sample budget.
            Tensor digit = floats(1, new double[64]).toBuilder().clearShape().addShape(1).addShape(1).addShape(8)
                    .addShape(8).build();
            ExplainRequest.Builder ig = ExplainRequest.newBuilder().setModel("digits_cnn").addInputs(digit);
            ig.getBaselineBuilder().setConstant(0);
            ig.setIntegratedGradients(IntegratedGradientsParams.newBuilder().setNSteps(1_001));
            StatusRuntimeException steps = failure(() -> explain.explain(ig.build()));
            assertStatus(steps, Status.Code.INVALID_ARGUMENT, "BUDGET_EXCEEDED");
            assertTrue(assertViolation(steps, "integrated_gradients.n_steps").contains("max_samples = 1000"));
            ig.setIntegratedGradients(IntegratedGradientsParams.newBuilder().setNSteps(20));
            assertEquals(64, explain.explain(ig.build()).getExplanations(0).getAttributionsCount());

            // Within every limit the same model answers: 6 groups of 5 features, 2 instances.
            ExplainResponse ok = explain.explain(grouped(base()).build());
            assertEquals(4, ok.getExplanationsCount());
            for (var e : ok.getExplanationsList()) {
                assertEquals(6, e.getAttributionsCount());
                assertEquals(e.getModelOutput() - e.getBaseValue(), ExplainServiceTest.sum(e.getAttributionsList()),
                        1e-9);
            }
        }
    }

    @Test
    void aMessagePastTheSizeLimitIsRefusedByTheTransport() throws Exception {
        ServerOptions options = ServerOptions.defaults(ServerTestSupport.repository(dir, "breast_cancer"))
                .withPorts(0, -1).withLimits(SMALL);
        try (PrismServer server = PrismServer.start(options)) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
            try {
                ExplainServiceGrpc.ExplainServiceBlockingStub explain = ExplainServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(60, TimeUnit.SECONDS);
                // 600 rows of 30 float32 values: about 72 KB, past 64 KiB.
                ExplainRequest huge = base().clearInputs()
                        .addInputs(floats(600, repeat(ServerTestSupport.backgroundRows("breast_cancer", 100), 6)))
                        .build();
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> explain.explain(huge));
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getStatus().toString());
                assertTrue(e.getStatus().getDescription().contains(String.valueOf(64 * 1024)),
                        e.getStatus().getDescription());
                // The server keeps serving.
                assertEquals(4, explain.explain(grouped(base()).build()).getExplanationsCount());
            } finally {
                channel.shutdownNow();
            }
        }
    }

    /** Two breast_cancer instances, KernelSHAP within the sample limit. */
    private static ExplainRequest.Builder base() {
        return ExplainRequest.newBuilder().setModel("breast_cancer")
                .addInputs(floats(2, ServerTestSupport.backgroundRows("breast_cancer", 2)))
                .setKernelShap(KernelShapParams.newBuilder().setNsamples(200)).setSeed(3);
    }

    private static ExplainRequest.Builder grouped(ExplainRequest.Builder r) {
        ExplicitGroups.Builder groups = ExplicitGroups.newBuilder();
        for (int g = 0; g < 6; g++) {
            FeatureGroup.Builder group = FeatureGroup.newBuilder().setName("g" + g);
            for (int j = 0; j < 5; j++) {
                group.addElements(5 * g + j);
            }
            groups.addGroups(group);
        }
        return r.setFeatureGroups(FeatureGroups.newBuilder().setExplicit(groups));
    }

    private static void assertOverLimit(ExplainServiceGrpc.ExplainServiceBlockingStub explain, String field,
                                        String asked, String limit, Consumer<ExplainRequest.Builder> change) {
        ExplainRequest.Builder r = grouped(base());
        change.accept(r);
        StatusRuntimeException e = failure(() -> explain.explain(r.build()));
        assertStatus(e, Status.Code.INVALID_ARGUMENT, "BUDGET_EXCEEDED");
        String description = assertViolation(e, field);
        assertTrue(description.startsWith(asked) && description.contains(limit), description);
    }

    private static double[] repeat(double[] values, int times) {
        double[] out = new double[values.length * times];
        for (int i = 0; i < times; i++) {
            System.arraycopy(values, 0, out, i * values.length, values.length);
        }
        return out;
    }
}
