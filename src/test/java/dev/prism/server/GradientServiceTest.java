package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.assertViolation;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.api.v1.Baseline;
import dev.prism.api.v1.DeepLiftParams;
import dev.prism.api.v1.DeepLiftShapParams;
import dev.prism.api.v1.ExplainEvent;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.Explanation;
import dev.prism.api.v1.ExplicitGroups;
import dev.prism.api.v1.FeatureGroup;
import dev.prism.api.v1.FeatureGroups;
import dev.prism.api.v1.GetModelRequest;
import dev.prism.api.v1.GradientTarget;
import dev.prism.api.v1.GradientXInputParams;
import dev.prism.api.v1.IntegratedGradientsParams;
import dev.prism.api.v1.IntegrationMethod;
import dev.prism.api.v1.KernelShapParams;
import dev.prism.api.v1.Link;
import dev.prism.api.v1.Method;
import dev.prism.api.v1.MethodInfo;
import dev.prism.api.v1.ModelInfo;
import dev.prism.api.v1.ModelServiceGrpc;
import dev.prism.api.v1.SaliencyParams;
import dev.prism.api.v1.UnsupportedMethod;
import dev.prism.model.AttributionKind;
import dev.prism.onnx.OnnxModelLoader;
import dev.prism.repository.ModelLoader;
import dev.prism.testing.AttributionFunctionModel;
import dev.prism.testing.FunctionModel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gradient methods over TCP, on models computed in Java whose attribution graphs follow the
 * graph contract exactly: linear scores f = W x + c (and logits g = V x + e), so DeepLIFT, Integrated
 * Gradients and gradient × input all give W (x − x') and saliency |W|.
 */
class GradientServiceTest {
    static final double[][] W = {{0.5, -1.25, 2.0}, {-1, 0.25, 3}};
    static final double[] C = {0.75, -2};
    static final double[][] V = {{2, 1, -1}, {-0.5, 4, 0.5}};
    static final double[] E = {0, 1};
    static final double[][] X = {{1.5, 2, -0.5}, {-1, 0.75, 2.5}};
    static final double[][] BG = {{0, 0, 0}, {1, -1, 0.5}, {-2, 0.25, 1}};
    static final double CONFIG_BASELINE = 0.5;
    static final String NO_RULE = "operator 'Erf' (node 'gelu_0') has no DeepLIFT rule";

    @TempDir
    static Path dir;
    static PrismServer server;
    static ManagedChannel channel;
    static AttributionFunctionModel lin;

    /**
     * lin: every graph, logits, a configured baseline and a background; partial: no DeepLIFT graph,
     * a background; bare: every graph, nothing configured; plain: no graphs at all; text_bag: an ONNX
     * model with an integer input.
     */
    @BeforeAll
    static void start() throws Exception {
        Path repo = ServerTestSupport.repository(dir, "text_bag");
        fake(repo, "lin", "{\"baseline\": [" + CONFIG_BASELINE + "]}", true);
        fake(repo, "partial", null, true);
        fake(repo, "bare", null, false);
        fake(repo, "plain", null, false);
        lin = new AttributionFunctionModel(3, 2, AttributionFunctionModel.linear(W, C),
                AttributionFunctionModel.linear(V, E), Map.of());
        OnnxModelLoader onnx = new OnnxModelLoader(1);
        ModelLoader loader = (file, settings, device) -> switch (file.getParent().getFileName().toString()) {
            case "lin" -> lin;
            case "partial" -> new AttributionFunctionModel(3, 2, AttributionFunctionModel.linear(W, C), null,
                    Map.of(AttributionKind.DEEP_LIFT, NO_RULE));
            case "bare" -> new AttributionFunctionModel(3, 2, AttributionFunctionModel.linear(W, C));
            case "plain" -> new FunctionModel(3, 2, x -> x.clone());
            default -> onnx.load(file, settings, device);
        };
        server = PrismServer.start(ServerTestSupport.inProcessOptions(repo),
                NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)), loader);
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    private static void fake(Path repo, String name, String config, boolean background) {
        try {
            Path folder = Files.createDirectories(repo.resolve(name));
            Files.writeString(folder.resolve("model.onnx"), "computed in Java");
            if (config != null) {
                Files.writeString(folder.resolve("config.json"), config);
            }
            if (background) {
                StringBuilder csv = new StringBuilder("a,b,c\n");
                for (double[] row : BG) {
                    csv.append(row[0]).append(',').append(row[1]).append(',').append(row[2]).append('\n');
                }
                Files.writeString(folder.resolve("background.csv"), csv);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        server.close();
        assertTrue(lin.graphsClosed(), "the graphs close with the model");
    }

    private static ExplainServiceGrpc.ExplainServiceBlockingStub explain() {
        return ExplainServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    private static ExplainRequest.Builder request(String model) {
        return ExplainRequest.newBuilder().setModel(model).addInputs(floats(2, ModelServiceTest.flatten(X)));
    }

    private static double[] constant(double value) {
        return new double[] {value, value, value};
    }

    /** Asserts w_k (x − r) per feature, f(r) and f(x), and a zero convergence delta for every explanation. */
    private static void assertLinear(ExplainResponse r, double[][] w, double[] c, double[] reference) {
        assertEquals(4, r.getExplanationsCount());
        for (Explanation e : r.getExplanationsList()) {
            int k = e.getOutput().equals("y0") ? 0 : 1;
            double[] x = X[e.getInstance()];
            for (int f = 0; f < 3; f++) {
                assertEquals(w[k][f] * (x[f] - reference[f]), e.getAttributions(f), 1e-5, "feature " + f);
            }
            assertEquals(linear(w, c, k, reference), e.getBaseValue(), 1e-5);
            assertEquals(linear(w, c, k, x), e.getModelOutput(), 1e-5);
            assertTrue(e.getDiagnostics().hasConvergenceDelta());
            assertEquals(0, e.getDiagnostics().getConvergenceDelta(), 1e-5);
            assertEquals(Math.abs(e.getDiagnostics().getConvergenceDelta()), e.getDiagnostics().getEfficiencyGap(), 0);
            assertEquals(0, e.getStandardErrorsCount());
        }
    }

    static double linear(double[][] w, double[] c, int k, double[] x) {
        double y = c[k];
        for (int f = 0; f < x.length; f++) {
            y += w[k][f] * x[f];
        }
        return y;
    }

    @Test
    void deepLiftAgainstTheRequestsBaseline() {
        ExplainResponse r = explain().explain(request("lin").setDeepLift(DeepLiftParams.getDefaultInstance())
                .setBaseline(Baseline.newBuilder().setConstant(-1)).build());
        assertEquals("deep_lift", r.getMethod());
        assertEquals(List.of("x0", "x1", "x2"), r.getFeatureNamesList());
        assertLinear(r, W, C, constant(-1));
        assertEquals(2, r.getExplanations(0).getDiagnostics().getModelEvaluations());
        // The rows went through the DeepLIFT graph's own scheduler.
        assertTrue(ServerTestSupport.counter(server.registry(), "prism.model.rows", "model", "lin", "graph",
                "deep_lift") >= 4);
    }

    @Test
    void theConfiguredBaselineIsTheDefaultThenZeros() {
        for (ExplainRequest.Builder b : List.of(
                request("lin").setDeepLift(DeepLiftParams.getDefaultInstance()),
                request("lin").setIntegratedGradients(IntegratedGradientsParams.getDefaultInstance()),
                request("lin").setGradientXInput(GradientXInputParams.getDefaultInstance()))) {
            assertLinear(explain().explain(b.build()), W, C, constant(CONFIG_BASELINE));
        }
        assertLinear(explain().explain(request("bare").setDeepLift(DeepLiftParams.getDefaultInstance()).build()),
                W, C, constant(0));
        assertLinear(explain().explain(request("partial")
                .setIntegratedGradients(IntegratedGradientsParams.getDefaultInstance()).build()), W, C, constant(0));
    }

    @Test
    void integratedGradientsOfTheLogitsWithARiemannRule() {
        ExplainResponse r = explain().explain(request("lin").setIntegratedGradients(IntegratedGradientsParams
                .newBuilder().setNSteps(7).setMethod(IntegrationMethod.INTEGRATION_RIEMANN_MIDDLE)
                .setTarget(GradientTarget.GRADIENT_TARGET_LOGITS))
                .setBaseline(Baseline.newBuilder().setValues(floats(1, 1, 2, 3))).build());
        assertEquals("integrated_gradients", r.getMethod());
        assertLinear(r, V, E, new double[] {1, 2, 3});
        assertEquals(2 * (7 + 2), r.getExplanations(0).getDiagnostics().getModelEvaluations());
        assertTrue(ServerTestSupport.counter(server.registry(), "prism.model.rows", "model", "lin", "graph",
                "gradient_logits") > 0);
    }

    @Test
    void deepLiftShapAveragesOverTheBackgroundAndStreams() throws Exception {
        Iterator<ExplainEvent> events = ExplainServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(60, TimeUnit.SECONDS)
                .streamExplain(request("lin").setDeepLiftShap(DeepLiftShapParams.getDefaultInstance()).build());
        ExplainResponse r = null;
        long total = 0;
        while (events.hasNext()) {
            ExplainEvent e = events.next();
            if (e.hasProgress()) {
                total = e.getProgress().getEvaluationsTotal();
            } else {
                r = e.getResult();
            }
        }
        assertEquals(2 * 2 * BG.length, total);
        assertEquals("deep_lift_shap", r.getMethod());
        double[] mean = new double[3];
        for (double[] row : BG) {
            for (int f = 0; f < 3; f++) {
                mean[f] += row[f] / BG.length;
            }
        }
        for (Explanation e : r.getExplanationsList()) {
            int k = e.getOutput().equals("y0") ? 0 : 1;
            double[] x = X[e.getInstance()];
            for (int f = 0; f < 3; f++) {
                assertEquals(W[k][f] * (x[f] - mean[f]), e.getAttributions(f), 1e-5);
                double sd = 0;
                for (double[] row : BG) {
                    double dev = W[k][f] * (x[f] - row[f]) - W[k][f] * (x[f] - mean[f]);
                    sd += dev * dev / BG.length / BG.length;
                }
                assertEquals(Math.sqrt(sd * BG.length / (BG.length - 1)), e.getStandardErrors(f), 1e-5);
            }
            assertEquals(linear(W, C, k, mean), e.getBaseValue(), 1e-5);
            assertEquals(0, e.getDiagnostics().getConvergenceDelta(), 1e-5);
            assertEquals(2L * BG.length, e.getDiagnostics().getModelEvaluations());
        }
        // k-means summaries are allowed too.
        ExplainResponse summarised = explain().explain(request("lin")
                .setDeepLiftShap(DeepLiftShapParams.getDefaultInstance()).setBackgroundKmeans(2).build());
        assertEquals(2 * 2, summarised.getExplanations(0).getDiagnostics().getModelEvaluations());
    }

    @Test
    void gradientTimesInputAndSaliency() {
        assertLinear(explain().explain(request("bare").setGradientXInput(GradientXInputParams.getDefaultInstance())
                .build()), W, C, constant(0));
        ExplainResponse r = explain().explain(request("lin").setSaliency(SaliencyParams.getDefaultInstance()).build());
        assertEquals("saliency", r.getMethod());
        for (Explanation e : r.getExplanationsList()) {
            int k = e.getOutput().equals("y0") ? 0 : 1;
            for (int f = 0; f < 3; f++) {
                assertEquals(Math.abs(W[k][f]), e.getAttributions(f), 1e-6);
            }
            assertTrue(Double.isNaN(e.getBaseValue()));
            assertEquals(linear(W, C, k, X[e.getInstance()]), e.getModelOutput(), 1e-5);
            assertFalse(e.getDiagnostics().hasConvergenceDelta());
        }
    }

    @Test
    void groupsSumTheirElementsAndUngroupedElementsGetNothing() {
        ExplainResponse r = explain().explain(request("lin").setDeepLift(DeepLiftParams.getDefaultInstance())
                .setFeatureGroups(FeatureGroups.newBuilder().setExplicit(ExplicitGroups.newBuilder()
                        .addGroups(FeatureGroup.newBuilder().setName("front").addElements(0).addElements(1)))).build());
        assertEquals(List.of("front"), r.getFeatureNamesList());
        for (Explanation e : r.getExplanationsList()) {
            int k = e.getOutput().equals("y0") ? 0 : 1;
            double[] x = X[e.getInstance()];
            double[] reference = {CONFIG_BASELINE, CONFIG_BASELINE, x[2]};
            assertEquals(W[k][0] * (x[0] - CONFIG_BASELINE) + W[k][1] * (x[1] - CONFIG_BASELINE),
                    e.getAttributions(0), 1e-5);
            assertEquals(linear(W, C, k, reference), e.getBaseValue(), 1e-5);
            assertEquals(0, e.getDiagnostics().getConvergenceDelta(), 1e-5);
        }
    }

    @Test
    void aKindTheGraphCannotServeIsAFailedPreconditionAndTheModelServesTheRest() {
        for (ExplainRequest.Builder b : List.of(
                request("partial").setDeepLift(DeepLiftParams.getDefaultInstance()),
                request("partial").setDeepLiftShap(DeepLiftShapParams.getDefaultInstance()))) {
            StatusRuntimeException e = failure(() -> explain().explain(b.build()));
            assertStatus(e, Status.Code.FAILED_PRECONDITION, "METHOD_UNSUPPORTED_FOR_MODEL");
            assertTrue(e.getStatus().getDescription().contains(NO_RULE), e.getStatus().getDescription());
        }
        StatusRuntimeException none = failure(() -> explain().explain(request("plain")
                .setSaliency(SaliencyParams.getDefaultInstance()).build()));
        assertStatus(none, Status.Code.FAILED_PRECONDITION, "METHOD_UNSUPPORTED_FOR_MODEL");
        ExplainResponse shap = explain().explain(request("partial")
                .setKernelShap(KernelShapParams.getDefaultInstance()).build());
        assertEquals(4, shap.getExplanationsCount());
        assertTrue(shap.getExplanations(0).getDiagnostics().getEfficiencyGap() < 1e-9);
        assertFalse(shap.getExplanations(0).getDiagnostics().hasConvergenceDelta());
    }

    @Test
    void invalidGradientRequestsNameTheirField() {
        record Case(ExplainRequest.Builder request, String field) {}
        List<Case> cases = new ArrayList<>(List.of(
                new Case(request("lin").setIntegratedGradients(IntegratedGradientsParams.newBuilder()
                        .setNSteps(10_001)), "integrated_gradients.n_steps"),
                new Case(request("lin").setIntegratedGradients(IntegratedGradientsParams.newBuilder().setNSteps(1)
                        .setMethod(IntegrationMethod.INTEGRATION_RIEMANN_TRAPEZOID)), "integrated_gradients.n_steps"),
                new Case(request("lin").setDeepLift(DeepLiftParams.getDefaultInstance()).setLink(Link.LINK_LOGIT),
                        "link"),
                new Case(request("partial").setIntegratedGradients(IntegratedGradientsParams.newBuilder()
                        .setTarget(GradientTarget.GRADIENT_TARGET_LOGITS)), "integrated_gradients.target"),
                new Case(request("lin").setDeepLift(DeepLiftParams.getDefaultInstance())
                        .setBaseline(Baseline.newBuilder().setMaskTokenId(0)), "baseline.mask_token_id"),
                // A target number this server does not know (a fuzzer finding: it used to fail as INTERNAL).
                new Case(request("lin").setSaliency(SaliencyParams.newBuilder().setTargetValue(7)),
                        "saliency.target"),
                new Case(request("lin").setDeepLiftShap(DeepLiftShapParams.getDefaultInstance())
                        .setBaseline(Baseline.newBuilder().setConstant(0)), "baseline"),
                new Case(request("lin").setSaliency(SaliencyParams.getDefaultInstance())
                        .setBaseline(Baseline.newBuilder().setConstant(0)), "baseline"),
                new Case(request("lin").setDeepLift(DeepLiftParams.getDefaultInstance())
                        .setBackground(floats(1, 0, 0, 0)), "background"),
                new Case(ExplainRequest.newBuilder().setModel("text_bag")
                        .addInputs(floats(1, 1, 2, 3, 4, 5, 6, 7, 8))
                        .setDeepLift(DeepLiftParams.getDefaultInstance()), "deep_lift")));
        for (Case c : cases) {
            StatusRuntimeException e = failure(() -> explain().explain(c.request.build()));
            assertStatus(e, Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS");
            assertViolation(e, c.field);
        }
        StatusRuntimeException noBackground = failure(() -> explain().explain(request("bare")
                .setDeepLiftShap(DeepLiftShapParams.getDefaultInstance()).build()));
        assertStatus(noBackground, Status.Code.INVALID_ARGUMENT, "BACKGROUND_REQUIRED");
    }

    @Test
    void getModelListsTheGradientMethodsEachModelServesAndWhyNotTheOthers() {
        ModelServiceGrpc.ModelServiceBlockingStub models = ModelServiceGrpc.newBlockingStub(channel);
        List<Method> perturbation = List.of(Method.METHOD_KERNEL_SHAP, Method.METHOD_LIME, Method.METHOD_EXACT_SHAPLEY,
                Method.METHOD_PERMUTATION_SHAP, Method.METHOD_AUTO);
        List<Method> deepLift = List.of(Method.METHOD_DEEP_LIFT, Method.METHOD_DEEP_LIFT_SHAP);
        List<Method> gradient = List.of(Method.METHOD_INTEGRATED_GRADIENTS, Method.METHOD_GRADIENT_X_INPUT,
                Method.METHOD_SALIENCY);

        ModelInfo full = models.getModel(GetModelRequest.newBuilder().setName("lin").build());
        List<Method> all = new ArrayList<>(perturbation);
        all.addAll(deepLift);
        all.addAll(gradient);
        assertEquals(all, full.getMethodsList());
        // Not a tree ensemble: tree_shap is the one method it cannot serve.
        assertEquals(List.of(Method.METHOD_TREE_SHAP),
                full.getUnsupportedMethodsList().stream().map(UnsupportedMethod::getMethod).toList());
        assertEquals("the model is not a tree ensemble", full.getUnsupportedMethods(0).getReason());
        assertFalse(full.hasTrees());
        assertTrue(full.getHasLogits());

        ModelInfo partial = models.getModel(GetModelRequest.newBuilder().setName("partial").build());
        List<Method> served = new ArrayList<>(perturbation);
        served.addAll(gradient);
        assertEquals(served, partial.getMethodsList());
        assertEquals(served, partial.getMethodDetailsList().stream().map(MethodInfo::getMethod).toList());
        List<Method> refused = new ArrayList<>(deepLift);
        refused.add(Method.METHOD_TREE_SHAP);
        assertEquals(refused, partial.getUnsupportedMethodsList().stream().map(UnsupportedMethod::getMethod).toList());
        partial.getUnsupportedMethodsList().subList(0, 2).forEach(u -> assertEquals(NO_RULE, u.getReason()));
        assertFalse(partial.getHasLogits());

        for (String name : List.of("plain", "text_bag")) {
            ModelInfo none = models.getModel(GetModelRequest.newBuilder().setName(name).build());
            assertEquals(perturbation, none.getMethodsList());
            assertEquals(6, none.getUnsupportedMethodsCount());
            none.getUnsupportedMethodsList().forEach(u -> assertFalse(u.getReason().isEmpty()));
        }
        ModelInfo text = models.getModel(GetModelRequest.newBuilder().setName("text_bag").build());
        assertTrue(text.getUnsupportedMethods(0).getReason().contains("floating-point"),
                text.getUnsupportedMethods(0).getReason());
    }
}
