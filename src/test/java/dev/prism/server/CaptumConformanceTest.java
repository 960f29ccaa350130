package dev.prism.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.prism.api.v1.Baseline;
import dev.prism.api.v1.DeepLiftParams;
import dev.prism.api.v1.DeepLiftShapParams;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.Explanation;
import dev.prism.api.v1.GradientTarget;
import dev.prism.api.v1.GradientXInputParams;
import dev.prism.api.v1.IntegratedGradientsParams;
import dev.prism.api.v1.IntegrationMethod;
import dev.prism.api.v1.SaliencyParams;
import dev.prism.api.v1.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gradient methods over gRPC against Captum (tools/make_golden_captum.py, pinned torch and
 * captum), on PyTorch models exported to ONNX: an MLP mixing ReLU, Tanh and Sigmoid, a network
 * with every linear operator rule (conv_zoo), Gelu and a gated product (gelu_gate), and the bundled
 * digits CNN (Conv, ReLU, MaxPool, Flatten, Gemm, Softmax). Attributions agree to 1e-4 of the
 * case's largest attribution, plus 5e-6 absolute: both sides compute in float32, and secants of
 * nearly equal values carry rounding of about 1e-6 (conv_zoo, whose global average pool makes every
 * element's attribution small, is where that shows).
 *
 * <p>Two groups of Captum's values are not the algorithm Prism implements and are skipped, each for
 * a documented Captum behaviour: gelu_gate's DeepLIFT cases (Captum has no rule for GELU or a product
 * of two activations and uses gradients there), and digits_cnn's plain DeepLIFT cases (when a ReLU
 * module feeds a MaxPool, Captum's hooks hand the ReLU the MaxPool's plain gradient, so the cross-max
 * rule never applies and attributions do not sum to the change). For digits_cnn the golden file's
 * "maxpool_rule" cases, computed with a copy between each ReLU and MaxPool so both rules apply, are
 * the ones compared.
 */
class CaptumConformanceTest {
    private static final double RELATIVE = 1e-4;
    private static final double FLOAT32_FLOOR = 5e-6;
    private static ServerTestSupport.InProcess prism;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        prism = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(ServerTestSupport.repository(
                dir, "digits_cnn", "mlp_mixed", "conv_zoo", "gelu_gate", "sin_net")));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        prism.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp_mixed", "conv_zoo", "gelu_gate", "digits_cnn"})
    void agreesWithCaptum(String model) {
        JsonObject golden = JsonParser.parseString(ServerTestSupport.resource("/golden/captum_" + model + ".json"))
                .getAsJsonObject();
        List<Long> shape = new ArrayList<>();
        golden.getAsJsonArray("input_shape").forEach(e -> shape.add(e.getAsLong()));
        Tensor instances = tensor(golden.getAsJsonArray("instances"), shape);
        JsonArray baselineValues = new JsonArray();
        baselineValues.add(golden.getAsJsonArray("baseline"));
        Tensor given = tensor(baselineValues, shape);
        Tensor background = tensor(golden.getAsJsonArray("background"), shape);
        List<String> outputNames = new ArrayList<>();
        golden.getAsJsonArray("output_names").forEach(e -> outputNames.add(e.getAsString()));
        int compared = 0;
        for (JsonElement e : golden.getAsJsonArray("cases")) {
            JsonObject c = e.getAsJsonObject();
            String method = c.get("method").getAsString();
            boolean maxPoolRule = c.has("variant") && c.get("variant").getAsString().equals("maxpool_rule");
            if (method.startsWith("deep_lift") && (model.equals("gelu_gate")
                    || model.equals("digits_cnn") && !maxPoolRule)) {
                continue;
            }
            GradientTarget target = c.get("target").getAsString().equals("logits")
                    ? GradientTarget.GRADIENT_TARGET_LOGITS : GradientTarget.GRADIENT_TARGET_OUTPUT;
            ExplainRequest.Builder request = ExplainRequest.newBuilder().setModel(model).addInputs(instances)
                    .addOutputs(outputNames.get(c.get("output").getAsInt()));
            boolean zeros = c.has("baseline") && c.get("baseline").getAsString().equals("zeros");
            switch (method) {
                case "deep_lift" -> request.setDeepLift(DeepLiftParams.newBuilder().setTarget(target))
                        .setBaseline(zeros ? Baseline.newBuilder().setConstant(0).build()
                                : Baseline.newBuilder().setValues(given).build());
                case "deep_lift_shap" -> request.setDeepLiftShap(DeepLiftShapParams.newBuilder().setTarget(target))
                        .setBackground(background);
                case "integrated_gradients" -> request.setIntegratedGradients(IntegratedGradientsParams.newBuilder()
                                .setTarget(target).setNSteps(c.get("n_steps").getAsInt())
                                .setMethod(INTEGRATION.get(c.get("integration").getAsString())))
                        .setBaseline(zeros ? Baseline.newBuilder().setConstant(0).build()
                                : Baseline.newBuilder().setValues(given).build());
                case "saliency" -> request.setSaliency(SaliencyParams.newBuilder().setTarget(target));
                case "input_x_gradient" -> request.setGradientXInput(GradientXInputParams.newBuilder().setTarget(target));
                default -> throw new AssertionError("unknown golden method " + method);
            }
            ExplainResponse response = prism.explain().explain(request.build());
            JsonArray expected = c.getAsJsonArray("attributions");
            assertEquals(expected.size(), response.getExplanationsCount(), method);
            String label = model + " " + method + " " + c.get("target").getAsString() + " output " + c.get("output")
                    + (c.has("baseline") ? " baseline " + c.get("baseline").getAsString() : "")
                    + (c.has("integration") ? " " + c.get("integration").getAsString() : "");
            for (int i = 0; i < expected.size(); i++) {
                JsonArray want = expected.get(i).getAsJsonArray();
                Explanation got = response.getExplanations(i);
                double scale = 0;
                for (JsonElement v : want) {
                    scale = Math.max(scale, Math.abs(v.getAsDouble()));
                }
                assertEquals(want.size(), got.getAttributionsCount(), label);
                for (int j = 0; j < want.size(); j++) {
                    assertEquals(want.get(j).getAsDouble(), got.getAttributions(j), RELATIVE * scale + FLOAT32_FLOOR,
                            label + " instance " + i + " element " + j);
                }
                if (!method.equals("saliency")) {
                    assertTrue(got.getDiagnostics().hasConvergenceDelta(), label);
                }
            }
            assertEquals(leavesOverFivePercent(response) && !method.equals("saliency")
                            && !method.equals("input_x_gradient"),
                    response.getWarningsList().stream().anyMatch(w -> w.getCode().equals("EFFICIENCY_GAP")), label);
            compared++;
        }
        assertTrue(compared >= 10, model + ": only " + compared + " cases compared");
    }

    /**
     * For some instance, its largest |Σφ − (f(x) − f(x′))| exceeds 5% of its outputs' largest
     * |f(x) − f(x′)|, from the response's own values.
     */
    private static boolean leavesOverFivePercent(ExplainResponse response) {
        Map<Integer, double[]> byInstance = new java.util.HashMap<>();
        for (Explanation e : response.getExplanationsList()) {
            double sum = e.getAttributionsList().stream().mapToDouble(Double::doubleValue).sum();
            double difference = e.getModelOutput() - e.getBaseValue();
            double[] worst = byInstance.computeIfAbsent(e.getInstance(), i -> new double[2]);
            worst[0] = Math.max(worst[0], Math.abs(sum - difference));
            worst[1] = Math.max(worst[1], Math.abs(difference));
        }
        return byInstance.values().stream().anyMatch(w -> w[0] > 1e-6 && w[0] > 0.05 * w[1]);
    }

    @org.junit.jupiter.api.Test
    void deepLiftThroughASoftmaxWarnsAndPointsToTheLogits() {
        JsonObject golden = JsonParser.parseString(ServerTestSupport.resource("/golden/captum_digits_cnn.json"))
                .getAsJsonObject();
        List<Long> shape = new ArrayList<>();
        golden.getAsJsonArray("input_shape").forEach(e -> shape.add(e.getAsLong()));
        Tensor instances = tensor(golden.getAsJsonArray("instances"), shape);
        ExplainRequest.Builder request = ExplainRequest.newBuilder().setModel("digits_cnn").addInputs(instances)
                .setBaseline(Baseline.newBuilder().setConstant(0));

        ExplainResponse output = prism.explain().explain(request.setDeepLift(DeepLiftParams.getDefaultInstance())
                .build());
        assertTrue(leavesOverFivePercent(output), "the premise: DeepLIFT through the Softmax leaves a gap");
        assertEquals(1, output.getWarningsCount(), output.getWarningsList().toString());
        assertEquals("EFFICIENCY_GAP", output.getWarnings(0).getCode());
        String message = output.getWarnings(0).getMessage();
        assertTrue(message.startsWith("deep_lift leaves up to "), message);
        assertTrue(message.endsWith("ask for GRADIENT_TARGET_LOGITS to explain the logits, which do"), message);

        ExplainResponse logits = prism.explain().explain(request.setDeepLift(DeepLiftParams.newBuilder()
                .setTarget(GradientTarget.GRADIENT_TARGET_LOGITS)).build());
        assertTrue(!leavesOverFivePercent(logits), "the logits add up");
        assertEquals(0, logits.getWarningsCount(), logits.getWarningsList().toString());
    }

    @org.junit.jupiter.api.Test
    void aModelWithAnOperatorWithoutARuleIsRefusedAndKeepsServingPerturbationMethods() {
        Tensor x = Tensor.newBuilder().addShape(1).addShape(4).addFloatData(0.5f).addFloatData(-1f).addFloatData(2f)
                .addFloatData(0.25f).build();
        io.grpc.StatusRuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(
                io.grpc.StatusRuntimeException.class, () -> prism.explain().explain(ExplainRequest.newBuilder()
                        .setModel("sin_net").addInputs(x).setDeepLift(DeepLiftParams.getDefaultInstance()).build()));
        assertEquals(io.grpc.Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
        assertTrue(refused.getStatus().getDescription().contains("operator Sin (node '/sin/Sin')"),
                refused.getStatus().getDescription());
        dev.prism.api.v1.ModelInfo info = prism.models().getModel(
                dev.prism.api.v1.GetModelRequest.newBuilder().setName("sin_net").build());
        assertTrue(info.getUnsupportedMethodsList().stream().anyMatch(u -> u.getMethod()
                == dev.prism.api.v1.Method.METHOD_INTEGRATED_GRADIENTS && u.getReason().contains("Sin")), info.toString());
        assertTrue(info.getMethodsList().contains(dev.prism.api.v1.Method.METHOD_KERNEL_SHAP));
        ExplainResponse shap = prism.explain().explain(ExplainRequest.newBuilder().setModel("sin_net").addInputs(x)
                .setExactShapley(dev.prism.api.v1.ExactShapleyParams.getDefaultInstance()).build());
        Explanation e = shap.getExplanations(0);
        double sum = e.getAttributionsList().stream().mapToDouble(Double::doubleValue).sum();
        assertEquals(e.getModelOutput() - e.getBaseValue(), sum, 1e-5);
    }

    private static final Map<String, IntegrationMethod> INTEGRATION = Map.of(
            "gausslegendre", IntegrationMethod.INTEGRATION_GAUSS_LEGENDRE,
            "riemann_left", IntegrationMethod.INTEGRATION_RIEMANN_LEFT,
            "riemann_right", IntegrationMethod.INTEGRATION_RIEMANN_RIGHT,
            "riemann_middle", IntegrationMethod.INTEGRATION_RIEMANN_MIDDLE,
            "riemann_trapezoid", IntegrationMethod.INTEGRATION_RIEMANN_TRAPEZOID);

    private static Tensor tensor(JsonArray rows, List<Long> instanceShape) {
        Tensor.Builder t = Tensor.newBuilder().addShape(rows.size()).addAllShape(instanceShape);
        for (JsonElement row : rows) {
            for (JsonElement v : row.getAsJsonArray()) {
                t.addFloatData(v.getAsFloat());
            }
        }
        return t.build();
    }
}
