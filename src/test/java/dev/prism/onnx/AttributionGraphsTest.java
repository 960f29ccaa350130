package dev.prism.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.model.AttributionGraphs;
import dev.prism.model.AttributionKind;
import dev.prism.model.Model;
import dev.prism.model.RowBatch;
import dev.prism.repository.ModelConfigReader;
import dev.prism.tensor.RowBlock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The compiled graphs of real converted models, checked against what DeepLIFT and gradients must
 * satisfy whatever the network: summation to delta, and completeness of the path integral of the
 * gradient.
 */
class AttributionGraphsTest {
    private static final OnnxModelLoader LOADER = new OnnxModelLoader(1);
    private static Model digits;
    private static Model breastCancer;

    @BeforeAll
    static void load() throws IOException {
        digits = load(Path.of("models/digits"));
        breastCancer = load(Path.of("models/breast_cancer"));
    }

    @AfterAll
    static void close() {
        digits.close();
        breastCancer.close();
    }

    static Model load(Path dir) throws IOException {
        return LOADER.load(dir.resolve("model.onnx"), ModelConfigReader.read(dir), "cpu");
    }

    static double[][] background(Path dir) throws IOException {
        List<String> lines = Files.readAllLines(dir.resolve("background.csv"));
        return lines.subList(1, lines.size()).stream()
                .map(l -> Arrays.stream(l.split(",")).mapToDouble(Double::parseDouble).toArray())
                .toArray(double[][]::new);
    }

    /** Runs DEEP_LIFT rows [x | x' | one-hot(k)] and returns the output rows. */
    static RowBlock deepLift(Model graph, double[] x, double[] reference, int outputs, int k) {
        int d = x.length;
        double[] row = new double[2 * d + outputs];
        System.arraycopy(x, 0, row, 0, d);
        System.arraycopy(reference, 0, row, d, d);
        row[2 * d + k] = 1;
        return graph.run(RowBatch.of(new RowBlock(1, row.length, row)));
    }

    static RowBlock gradient(Model graph, double[] x, int outputs, int k) {
        int d = x.length;
        double[] row = new double[d + outputs];
        System.arraycopy(x, 0, row, 0, d);
        row[d + k] = 1;
        return graph.run(RowBatch.of(new RowBlock(1, row.length, row)));
    }

    @Test
    void deepLiftSumsToTheChangeOfTheLogitsAndProbabilities() throws IOException {
        AttributionGraphs graphs = digits.attributionGraphs();
        assertTrue(graphs.hasLogits(), "digits ends in Softmax");
        double[][] rows = background(Path.of("models/digits"));
        Model logits = graphs.graph(AttributionKind.DEEP_LIFT, true);
        int checked = 0;
        for (int i = 0; i + 1 < rows.length; i += 2) {
            for (int k = 0; k < 10; k++) {
                RowBlock out = deepLift(logits, rows[i], rows[i + 1], 10, k);
                double sum = 0;
                for (int j = 0; j < 64; j++) {
                    sum += out.get(0, j);
                }
                double change = out.get(0, 64) - out.get(0, 65);
                assertEquals(change, sum, 1e-4 * Math.max(1, Math.abs(change)), "pair " + i + " logit " + k);
                checked++;
            }
        }
        assertEquals(100, checked);
        // breast_cancer's sigmoid output: no Softmax, so every rule sums exactly.
        double[][] cancer = background(Path.of("models/breast_cancer"));
        Model probabilities = breastCancer.attributionGraphs().graph(AttributionKind.DEEP_LIFT, false);
        for (int i = 0; i + 1 < 20; i += 2) {
            RowBlock out = deepLift(probabilities, cancer[i], cancer[i + 1], 2, 1);
            double sum = 0;
            for (int j = 0; j < 30; j++) {
                sum += out.get(0, j);
            }
            assertEquals(out.get(0, 30) - out.get(0, 31), sum, 1e-4);
        }
    }

    @Test
    void theGradientIntegratesToTheChangeAlongAPath() throws IOException {
        double[][] rows = background(Path.of("models/digits"));
        Model gradient = digits.attributionGraphs().graph(AttributionKind.GRADIENT, true);
        assertPathIntegral(gradient, rows[0], rows[1], 10, 3);
        // Every kind of MaxPool window routes the gradient to its maxima: padded and overlapping
        // (k3 s2 p1), overlapping (k2 s1), tiling (k2 s2).
        try (Model pools = load(testModel("pool_zoo"))) {
            double[][] normal = background(testModel("pool_zoo"));
            for (int k = 0; k < 3; k++) {
                assertPathIntegral(pools.attributionGraphs().graph(AttributionKind.GRADIENT, false), normal[2 * k],
                        normal[2 * k + 1], 3, k);
            }
        }
    }

    /** A 4,000-point midpoint integral of the gradient from reference to x equals the change of score k. */
    private static void assertPathIntegral(Model gradient, double[] x, double[] reference, int outputs, int k) {
        int d = x.length;
        int width = d + outputs;
        int steps = 4000;
        double[] points = new double[steps * width];
        for (int s = 0; s < steps; s++) {
            double alpha = (s + 0.5) / steps;
            for (int j = 0; j < d; j++) {
                points[s * width + j] = reference[j] + alpha * (x[j] - reference[j]);
            }
            points[s * width + d + k] = 1;
        }
        RowBlock out = gradient.run(RowBatch.of(new RowBlock(steps, width, points)));
        double integral = 0;
        for (int s = 0; s < steps; s++) {
            for (int j = 0; j < d; j++) {
                integral += out.get(s, j) * (x[j] - reference[j]) / steps;
            }
        }
        double change = gradient(gradient, x, outputs, k).get(0, d) - gradient(gradient, reference, outputs, k).get(0, d);
        assertEquals(change, integral, 2e-3 * Math.abs(change) + 1e-4, "output " + k);
    }

    static Path testModel(String name) {
        return Path.of("src/test/resources/models", name);
    }

    static double[][] weights(String model, String key) throws IOException {
        com.google.gson.JsonObject json = com.google.gson.JsonParser.parseString(
                Files.readString(testModel(model).resolve("weights.json"))).getAsJsonObject();
        com.google.gson.JsonElement e = json.get(key);
        if (e.getAsJsonArray().get(0).isJsonArray()) {
            return new com.google.gson.Gson().fromJson(e, double[][].class);
        }
        return new double[][] {new com.google.gson.Gson().fromJson(e, double[].class)};
    }

    @Test
    void onALinearNetworkDeepLiftAndTheGradientAreTheWeights() throws IOException {
        double[][] w = weights("linear_net", "w");
        try (Model net = load(testModel("linear_net"))) {
            double[] x = {0.5, -1.25, 2.0, 0.75};
            double[] reference = {-0.3, 0.4, 1.1, -2.0};
            for (int k = 0; k < 2; k++) {
                RowBlock deep = deepLift(net.attributionGraphs().graph(AttributionKind.DEEP_LIFT, false), x, reference, 2, k);
                RowBlock grad = gradient(net.attributionGraphs().graph(AttributionKind.GRADIENT, false), x, 2, k);
                for (int j = 0; j < 4; j++) {
                    assertEquals((x[j] - reference[j]) * w[k][j], deep.get(0, j), 1e-6, "output " + k + " input " + j);
                    assertEquals(w[k][j], grad.get(0, j), 1e-6, "output " + k + " input " + j);
                }
            }
        }
    }

    @Test
    void aReluNeuronGetsItsChangeWhereItsGradientIsZero() throws IOException {
        double[] w = weights("relu_neuron", "w")[0];
        double bias = weights("relu_neuron", "b")[0][0];
        try (Model neuron = load(testModel("relu_neuron"))) {
            // x switches the neuron off, the reference on: the gradient at x is 0, the change is not.
            double[] reference = new double[3];
            double[] x = new double[3];
            for (int j = 0; j < 3; j++) {
                reference[j] = Math.signum(w[j]) * 2;
                x[j] = -Math.signum(w[j]) * 2;
            }
            double z = bias;
            double zRef = bias;
            for (int j = 0; j < 3; j++) {
                z += w[j] * x[j];
                zRef += w[j] * reference[j];
            }
            assertTrue(z < 0 && zRef > 0, "x is off, the reference on");
            RowBlock deep = deepLift(neuron.attributionGraphs().graph(AttributionKind.DEEP_LIFT, false), x, reference, 1, 0);
            double secant = (Math.max(z, 0) - Math.max(zRef, 0)) / (z - zRef);
            double sum = 0;
            for (int j = 0; j < 3; j++) {
                assertEquals(w[j] * (x[j] - reference[j]) * secant, deep.get(0, j), 1e-5);
                sum += deep.get(0, j);
            }
            assertEquals(-zRef, sum, 1e-5);
            RowBlock grad = gradient(neuron.attributionGraphs().graph(AttributionKind.GRADIENT, false), x, 1, 0);
            for (int j = 0; j < 3; j++) {
                assertEquals(0, grad.get(0, j));
            }
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"mlp_mixed", "conv_zoo", "gelu_gate", "gelu_op", "pool_zoo"})
    void everyRuleButSoftmaxSumsToTheChange(String name) throws IOException {
        try (Model model = load(testModel(name))) {
            double[][] rows = background(testModel(name));
            int outputs = model.signature().outputCount();
            Model graph = model.attributionGraphs().graph(AttributionKind.DEEP_LIFT, false);
            int d = rows[0].length;
            for (int i = 0; i + 1 < rows.length; i += 2) {
                for (int k = 0; k < outputs; k++) {
                    RowBlock out = deepLift(graph, rows[i], rows[i + 1], outputs, k);
                    double sum = 0;
                    for (int j = 0; j < d; j++) {
                        sum += out.get(0, j);
                    }
                    double change = out.get(0, d) - out.get(0, d + 1);
                    assertEquals(change, sum, 1e-4 * Math.max(1, Math.abs(change)), name + " pair " + i + " output " + k);
                }
            }
        }
    }

    @Test
    void aModelWithoutARuleIsRefusedNamingTheOperatorAndNode() throws IOException {
        try (Model sin = load(testModel("sin_net"))) {
            String reason = sin.attributionGraphs().unsupported(AttributionKind.DEEP_LIFT).orElseThrow();
            assertTrue(reason.startsWith("operator Sin (node '/sin/Sin')"), reason);
        }
        try (Model iris = load(Path.of("models/iris"))) {
            AttributionGraphs graphs = iris.attributionGraphs();
            for (AttributionKind kind : AttributionKind.values()) {
                String reason = graphs.unsupported(kind).orElseThrow();
                assertTrue(reason.contains("ai.onnx.ml.TreeEnsembleClassifier"), reason);
                assertTrue(reason.contains("node 'TreeEnsembleClassifier'"), reason);
                assertThrows(IllegalStateException.class, () -> graphs.graph(kind, false));
            }
            assertFalse(graphs.hasLogits());
        }
    }
}
