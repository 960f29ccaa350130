package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import dev.prism.api.v1.DeepLiftParams;
import dev.prism.api.v1.DeepLiftShapParams;
import dev.prism.api.v1.ExactShapleyParams;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.ExplicitGroups;
import dev.prism.api.v1.FeatureGroup;
import dev.prism.api.v1.FeatureGroups;
import dev.prism.api.v1.GradientXInputParams;
import dev.prism.api.v1.IntegratedGradientsParams;
import dev.prism.api.v1.KernelShapParams;
import dev.prism.api.v1.L1Reg;
import dev.prism.api.v1.LimeParams;
import dev.prism.api.v1.ModelServiceGrpc;
import dev.prism.api.v1.PermutationShapParams;
import dev.prism.api.v1.PredictRequest;
import dev.prism.api.v1.PredictResponse;
import dev.prism.api.v1.SaliencyParams;
import dev.prism.api.v1.Tensor;
import dev.prism.onnx.OnnxModelLoader;
import dev.prism.repository.ModelLoader;
import dev.prism.testing.AttributionFunctionModel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A model that returns NaN for some rows: every method fails with MODEL_OUTPUT_NOT_FINITE naming the
 * rows rather than answering NaN, Predict still answers the model's raw outputs, and the bundled
 * digits model at 3e38 (outputs of NaN) no longer sends kernel_shap's l1_reg into an endless solve.
 */
class NonFiniteOutputTest {
    /** Replacement rows: each finite on its own (x0 <= 10). */
    static final double[][] BG = {{0, -20, 0}, {1, -15, 2}, {2, -12, 1}, {0.5, -18, 3}};
    /** Finite itself; y1 is NaN on a perturbed row that keeps x0 and takes x1 from the background. */
    static final double[] MIXED = {20, 0, 1};
    /** y1 is NaN at the instance itself. */
    static final double[] ITSELF = {20, -20, 0};

    @TempDir
    static Path dir;
    static PrismServer server;
    static ManagedChannel channel;

    /** y0 = x0 + 2·x1 − x2 everywhere; y1 = x0 − x1, but NaN (with its derivatives) where x0 > 10 and x1 < −10. */
    static final class Scores implements AttributionFunctionModel.Scores {
        private static boolean poisoned(double[] x) {
            return x[0] > 10 && x[1] < -10;
        }

        @Override
        public double[] values(double[] x) {
            return new double[] {x[0] + 2 * x[1] - x[2], poisoned(x) ? Double.NaN : x[0] - x[1]};
        }

        @Override
        public double[][] jacobian(double[] x) {
            double nan = Double.NaN;
            return new double[][] {{1, 2, -1}, poisoned(x) ? new double[] {nan, nan, nan} : new double[] {1, -1, 0}};
        }

        @Override
        public double[][] contributions(double[] x, double[] reference) {
            double[][] j = jacobian(x);
            double[][] c = new double[2][3];
            for (int k = 0; k < 2; k++) {
                for (int e = 0; e < 3; e++) {
                    c[k][e] = j[k][e] * (x[e] - reference[e]);
                }
            }
            return c;
        }
    }

    @BeforeAll
    static void start() throws Exception {
        Path repo = ServerTestSupport.repository(dir, "digits");
        Path folder = Files.createDirectories(repo.resolve("nan"));
        Files.writeString(folder.resolve("model.onnx"), "computed in Java");
        StringBuilder csv = new StringBuilder("a,b,c\n");
        for (double[] row : BG) {
            csv.append(row[0]).append(',').append(row[1]).append(',').append(row[2]).append('\n');
        }
        Files.writeString(folder.resolve("background.csv"), csv);
        OnnxModelLoader onnx = new OnnxModelLoader(1);
        ModelLoader loader = (file, settings, device) -> file.getParent().getFileName().toString().equals("nan")
                ? new AttributionFunctionModel(3, 2, new Scores()) : onnx.load(file, settings, device);
        String name = "prism-test-" + java.util.UUID.randomUUID();
        server = PrismServer.start(ServerTestSupport.inProcessOptions(repo), InProcessServerBuilder.forName(name),
                loader);
        channel = InProcessChannelBuilder.forName(name).build();
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        server.close();
    }

    private static ExplainServiceGrpc.ExplainServiceBlockingStub explain() {
        return ExplainServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    private static ExplainRequest.Builder request(double[] x) {
        return ExplainRequest.newBuilder().setModel("nan").addInputs(floats(1, x));
    }

    private static FeatureGroups groups() {
        return FeatureGroups.newBuilder().setExplicit(ExplicitGroups.newBuilder()
                .addGroups(FeatureGroup.newBuilder().setName("a").addElements(0))
                .addGroups(FeatureGroup.newBuilder().setName("bc").addElements(1).addElements(2))).build();
    }

    /** One request per method family, with the message its NaN at the instance gets. */
    static Stream<Arguments> methods() {
        String itself = "the model returned NaN for output column 1 on 1 of 5 rows; first row: instance 0 itself";
        String graph = "the model's attribution graph returned NaN for column 0 on ";
        return Stream.of(
                Arguments.of("kernel_shap", request(ITSELF).setKernelShap(KernelShapParams.newBuilder().setNsamples(16)),
                        itself),
                Arguments.of("kernel_shap l1_reg aic", request(ITSELF).setKernelShap(KernelShapParams.newBuilder()
                        .setL1Reg(L1Reg.newBuilder().setCriterion(L1Reg.Criterion.CRITERION_AIC))), itself),
                Arguments.of("exact_shapley", request(ITSELF).setExactShapley(ExactShapleyParams.getDefaultInstance()),
                        itself),
                Arguments.of("permutation_shap", request(ITSELF).setPermutationShap(
                        PermutationShapParams.getDefaultInstance()), itself),
                Arguments.of("lime", request(ITSELF).setLime(LimeParams.getDefaultInstance()),
                        "the model returned NaN for output column 1 on 1 of 1 rows; first row: instance 0 itself"),
                Arguments.of("lime over groups", request(ITSELF).setLime(LimeParams.getDefaultInstance())
                        .setFeatureGroups(groups()), itself),
                // Seeds pick an output by weighting every score with 0 or 1, and 0·NaN is NaN: output 0 too.
                Arguments.of("deep_lift", request(ITSELF).setDeepLift(DeepLiftParams.getDefaultInstance()),
                        graph + "2 of 2 rows; first row: instance 0, the request's output 0"),
                Arguments.of("deep_lift_shap", request(ITSELF).setDeepLiftShap(DeepLiftShapParams.getDefaultInstance()),
                        graph + "8 of 8 rows; first row: instance 0, the request's output 0, step 0 of 4"),
                // Only the points of the path with x0 > 10 and x1 < −10 are NaN.
                Arguments.of("integrated_gradients", request(ITSELF).setIntegratedGradients(
                        IntegratedGradientsParams.newBuilder().setNSteps(8)),
                        graph + "10 of 20 rows; first row: instance 0, the request's output 0, step 4 of 10"),
                Arguments.of("gradient_x_input", request(ITSELF).setGradientXInput(
                        GradientXInputParams.getDefaultInstance()),
                        graph + "2 of 4 rows; first row: instance 0, the request's output 0, step 0 of 2"),
                Arguments.of("saliency", request(ITSELF).setSaliency(SaliencyParams.getDefaultInstance()),
                        graph + "2 of 2 rows; first row: instance 0, the request's output 0"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("methods")
    void everyMethodRefusesANaNOfTheInstanceNamingIt(String method, ExplainRequest.Builder request, String message) {
        StatusRuntimeException e = failure(() -> explain().explain(request.build()));
        assertStatus(e, Status.Code.FAILED_PRECONDITION, "MODEL_OUTPUT_NOT_FINITE");
        assertEquals(message, e.getStatus().getDescription());
    }

    /**
     * Only rows that mix the instance's x0 with a background row's x1 are NaN: 2 of the 6 proper
     * coalitions of 3 players ({x0} and {x0, x2}), against each of the 4 background rows.
     */
    @Test
    void aNaNOnPerturbedRowsNamesTheFirstOfThem() {
        StatusRuntimeException e = failure(() -> explain().explain(request(MIXED)
                .setExactShapley(ExactShapleyParams.getDefaultInstance()).build()));
        assertStatus(e, Status.Code.FAILED_PRECONDITION, "MODEL_OUTPUT_NOT_FINITE");
        assertEquals("the model returned NaN for output column 1 on 8 of 24 rows; first row: instance 0, a perturbed"
                + " row (1 of 3 features kept, the rest from background row 0)", e.getStatus().getDescription());
    }

    @Test
    void outputsTheRequestDoesNotExplainMayBeNaN() {
        ExplainResponse r = explain().explain(request(MIXED).addOutputs("y0")
                .setExactShapley(ExactShapleyParams.getDefaultInstance()).build());
        assertEquals(1, r.getExplanationsCount());
        // y0 is linear: φ_i = w_i (x_i − E[bg_i]) with E[bg] = (0.875, −16.25, 1.5).
        double[] phi = r.getExplanations(0).getAttributionsList().stream().mapToDouble(Double::doubleValue).toArray();
        assertEquals(20 - 0.875, phi[0], 1e-9);
        assertEquals(2 * (0 + 16.25), phi[1], 1e-9);
        assertEquals(-(1 - 1.5), phi[2], 1e-9);
    }

    @Test
    void predictStillAnswersTheModelsRawOutputs() {
        PredictResponse r = ModelServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .predict(PredictRequest.newBuilder().setModel("nan").addInputs(floats(2, concat(MIXED, ITSELF))).build());
        Tensor y = r.getOutputs(0);
        assertEquals(List.of(2L, 2L), y.getShapeList());
        assertEquals(List.of(20.0 + 0 - 1, 20.0 - 0, 20.0 - 40 - 0), y.getDoubleDataList().subList(0, 3));
        assertTrue(Double.isNaN(y.getDoubleData(3)), "y1 of the second row: " + y.getDoubleData(3));
    }

    /**
     * digits with every pixel 3e38 overflows to NaN probabilities; kernel_shap's l1_reg used to spin
     * for ever in the lasso path on them, deaf to cancellation. Two at once (they hung every model)
     * now fail at once, and the server keeps serving.
     */
    @Test
    void digitsAt3e38WithL1RegAicIsAPromptClearError() throws Exception {
        double[] pixels = new double[64];
        Arrays.fill(pixels, 3e38);
        ExplainRequest request = ExplainRequest.newBuilder().setModel("digits")
                .addInputs(ServerTestSupport.doubles(new long[] {1, 1, 8, 8}, pixels))
                .setKernelShap(KernelShapParams.newBuilder()
                        .setL1Reg(L1Reg.newBuilder().setCriterion(L1Reg.Criterion.CRITERION_AIC)))
                .build();
        ExplainServiceGrpc.ExplainServiceFutureStub stub = ExplainServiceGrpc.newFutureStub(channel)
                .withDeadlineAfter(60, TimeUnit.SECONDS);
        List<ListenableFuture<ExplainResponse>> calls = List.of(stub.explain(request), stub.explain(request));
        for (ListenableFuture<ExplainResponse> call : calls) {
            ExecutionException failed = assertThrows(ExecutionException.class, call::get);
            StatusRuntimeException e = assertInstanceOf(StatusRuntimeException.class, failed.getCause());
            assertStatus(e, Status.Code.FAILED_PRECONDITION, "MODEL_OUTPUT_NOT_FINITE");
            String message = e.getStatus().getDescription();
            assertTrue(message.startsWith("the model returned NaN for output column 0 on 1 of "), message);
            assertTrue(message.endsWith("; first row: instance 0 itself"), message);
        }
        PredictResponse ok = ModelServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .predict(PredictRequest.newBuilder().setModel("digits")
                        .addInputs(ServerTestSupport.doubles(new long[] {1, 1, 8, 8}, new double[64])).build());
        assertEquals(10, ok.getOutputs(0).getDoubleDataCount());
    }

    private static double[] concat(double[] a, double[] b) {
        double[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
