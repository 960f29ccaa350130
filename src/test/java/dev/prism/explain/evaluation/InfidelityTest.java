package dev.prism.explain.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.prism.explain.Link;
import dev.prism.explain.RowStream;
import dev.prism.model.Model;
import dev.prism.onnx.OnnxModelLoader;
import dev.prism.repository.ModelConfigReader;
import dev.prism.testing.ExplainerRun;
import dev.prism.testing.FunctionModel;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class InfidelityTest {
    private static final double[] W = {0.5, -1.25, 2.0};
    private static final double[] X = {1, 2, -1};
    private static final double[][] VECTORS = {{0.1, 0, -0.2}, {0.3, 0.1, 0.1}, {-0.2, 0.05, 0}};
    private final FunctionModel linear = new FunctionModel(3, 1, x -> new double[] {W[0] * x[0] + W[1] * x[1] + W[2] * x[2] + 1});

    private Infidelity infidelity(Model model, double[] phi, List<Perturbation> perturbations, int column) {
        return ExplainerRun.of((runner, progress, context, budget) -> Infidelity.of(
                new RowStream(runner, progress, context, budget, AveragedScores.MAX_ROWS_IN_FLIGHT), X, phi,
                perturbations, column, Link.IDENTITY)).on(model).run();
    }

    @Test
    void theGradientOfALinearModelIsPerfectlyFaithful() {
        Infidelity i = infidelity(linear, W, Perturbations.subtracted(X, VECTORS), 0);
        assertEquals(0.0, i.value(), 1e-24);
        // The normalised value is a difference of sums (Captum's expansion), so it is 0 up to rounding.
        assertEquals(0.0, i.normalized(), 1e-15);
        assertEquals(1.0, i.beta(), 1e-12);
        assertEquals(3, i.samples());
    }

    @Test
    void normalisingUndoesAScaleOfTheAttribution() {
        double[] twice = {2 * W[0], 2 * W[1], 2 * W[2]};
        Infidelity i = infidelity(linear, twice, Perturbations.subtracted(X, VECTORS), 0);
        // a = 2b: Σ(a − b)²/n = Σb²/n, and β = 1/2 makes it 0.
        double sum = 0;
        for (double[] v : VECTORS) {
            double b = W[0] * v[0] + W[1] * v[1] + W[2] * v[2];
            sum += b * b;
        }
        assertEquals(sum / 3, i.value(), 1e-15);
        assertEquals(0.5, i.beta(), 1e-15);
        assertEquals(0.0, i.normalized(), 1e-15);
    }

    @Test
    void aZeroAttributionKeepsBetaFiniteAsCaptumDoes() {
        Infidelity i = Infidelity.of(1, new double[] {0, 3}, new double[] {0, 0},
                Perturbations.subtracted(new double[] {0, 0}, new double[][] {{1, 0}, {0, 1}}));
        assertEquals(0.0, i.beta());
        assertEquals((1 + 4) / 2.0, i.value(), 1e-15);
        assertEquals((1 + 4) / 2.0, i.normalized(), 1e-15);
    }

    @Test
    void gaussianPerturbationsFollowTheSeedAndTheirScale() {
        List<Perturbation> a = Perturbations.gaussian(X, 0.5, 4000, 3);
        assertArrayEquals(a.get(17).vector(), Perturbations.gaussian(X, 0.5, 4000, 3).get(17).vector());
        assertNotEquals(a.get(0).vector()[0], Perturbations.gaussian(X, 0.5, 1, 4).get(0).vector()[0]);
        double squares = 0;
        for (Perturbation p : a) {
            for (int i = 0; i < X.length; i++) {
                assertEquals(X[i] - p.vector()[i], p.input()[i], 0);
                squares += p.vector()[i] * p.vector()[i];
            }
        }
        // 12,000 draws of N(0, 0.25): the mean square is within 5% of 0.25 (about 4 standard errors).
        assertEquals(0.25, squares / 12_000, 0.0125);
        assertThrows(IllegalArgumentException.class, () -> Perturbations.gaussian(X, 0, 3, 1));
    }

    /** Captum's infidelity, normalize False and True, on linear_net (ONNX) with fixed perturbations. */
    @Test
    void matchesCaptumOnFixedPerturbations() throws IOException {
        JsonObject golden = EvaluationGolden.read();
        double[][] instances = EvaluationGolden.matrix(golden.get("instances"));
        double[][] vectors = EvaluationGolden.matrix(golden.get("infidelity_perturbations"));
        int cases = 0;
        try (Model net = new OnnxModelLoader(1).load(EvaluationGolden.MODEL.resolve("model.onnx"),
                ModelConfigReader.read(EvaluationGolden.MODEL), "cpu")) {
            for (JsonElement e : golden.getAsJsonArray("infidelity")) {
                JsonObject c = e.getAsJsonObject();
                double[] x = instances[c.get("instance").getAsInt()];
                double[] phi = EvaluationGolden.vector(c.get("attributions"));
                int k = c.get("output").getAsInt();
                Infidelity i = ExplainerRun.of((runner, progress, context, budget) -> Infidelity.of(
                        new RowStream(runner, progress, context, budget, 4), x, phi,
                        Perturbations.subtracted(x, vectors), k, Link.IDENTITY)).on(net).run();
                assertEquals(c.get("value").getAsDouble(), i.value(), 1e-6, c.toString());
                assertEquals(c.get("normalized").getAsDouble(), i.normalized(), 1e-6, c.toString());
                cases++;
            }
        }
        assertEquals(18, cases);
    }
}
