package dev.prism.explain.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.prism.explain.FeatureGroups;
import dev.prism.explain.Link;
import dev.prism.explain.RowStream;
import dev.prism.explain.evaluation.DeletionCurve.Direction;
import dev.prism.model.Background;
import dev.prism.model.Model;
import dev.prism.onnx.OnnxModelLoader;
import dev.prism.repository.ModelConfigReader;
import dev.prism.tensor.RowBlock;
import dev.prism.testing.ExplainerRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Quantus 0.6.0's metrics that define the same quantity as one of Prism's, on linear_net (ONNX) with
 * the fixed perturbations of golden/quantus_linear_net.json (written by tools/make_golden_quantus.py).
 * Not here: Quantus's EffectiveComplexity counts |φ_i| above a threshold, while Prism's effective
 * feature count is the fewest features reaching 90% of Σ|φ|; and Quantus has no counterpart of
 * Captum's normalised infidelity (its normalise_mse is the same mean squared error, expanded).
 * Attributions with every value negative, or all zero, are left out because Quantus refuses them.
 */
class QuantusConformanceTest {
    private static final double TOLERANCE = 1e-6;
    private static final FeatureGroups FEATURES = FeatureGroups.singletons(List.of("x0", "x1", "x2", "x3"));

    private static JsonObject golden;
    private static Model net;

    @BeforeAll
    static void load() throws IOException {
        golden = JsonParser.parseString(Files.readString(Path.of("src/test/resources/golden/quantus_linear_net.json")))
                .getAsJsonObject();
        net = new OnnxModelLoader(1).load(EvaluationGolden.MODEL.resolve("model.onnx"),
                ModelConfigReader.read(EvaluationGolden.MODEL), "cpu");
    }

    @AfterAll
    static void close() {
        net.close();
    }

    private static double[] instance(JsonObject c) {
        return EvaluationGolden.matrix(golden.get("instances"))[c.get("instance").getAsInt()];
    }

    /** Runs {@code check} on every attribution case and returns how many there were. */
    private static int eachCase(Consumer<JsonObject> check) {
        int cases = 0;
        for (JsonElement e : golden.getAsJsonArray("cases")) {
            check.accept(e.getAsJsonObject());
            cases++;
        }
        return cases;
    }

    private static DeletionCurve deletion(JsonObject c, int steps) {
        double[] x = instance(c);
        double[] baseline = new double[x.length];
        Arrays.fill(baseline, golden.get("baseline").getAsDouble());
        Background row = new Background(new RowBlock(1, x.length, baseline), new double[] {1});
        double[] phi = EvaluationGolden.vector(c.get("attributions"));
        int k = c.get("output").getAsInt();
        return ExplainerRun.of((runner, progress, context, budget) -> DeletionCurve.of(
                new RowStream(runner, progress, context, budget, 8), Direction.DELETION, x, row, FEATURES, phi, k,
                Link.IDENTITY, steps)).on(net).run();
    }

    /** Complexity: −Σ p ln(p + 1e-12) with p = |φ|/Σ|φ|; the 1e-12 moves it by less than M·1e-12. */
    @Test
    void complexityIsTheEntropy() {
        assertEquals(17, eachCase(c -> assertEquals(c.get("complexity").getAsDouble(),
                Complexity.of(EvaluationGolden.vector(c.get("attributions"))).entropy(), TOLERANCE, c.toString())));
    }

    /** Infidelity: mean_j (I_jᵀφ − (f(x) − f(x − I_j)))², Captum's normalize=False. */
    @Test
    void infidelityIsTheUnnormalisedMeanSquaredError() {
        double[][] vectors = EvaluationGolden.matrix(golden.get("infidelity_perturbations"));
        assertEquals(17, eachCase(c -> {
            double[] x = instance(c);
            double[] phi = EvaluationGolden.vector(c.get("attributions"));
            int k = c.get("output").getAsInt();
            Infidelity i = ExplainerRun.of((runner, progress, context, budget) -> Infidelity.of(
                    new RowStream(runner, progress, context, budget, 4), x, phi,
                    Perturbations.subtracted(x, vectors), k, Link.IDENTITY)).on(net).run();
            assertEquals(c.get("infidelity").getAsDouble(), i.value(), TOLERANCE, c.toString());
            assertEquals(c.get("captum_infidelity").getAsDouble(), i.value(), TOLERANCE, c.toString());
        }));
    }

    /** MaxSensitivity: max_j ‖φ(x + δ_j) − φ(x)‖_F / ‖φ(x)‖_F, InputXGradient (x ⊙ w_k) explaining. */
    @Test
    void maxSensitivityIsTheLargestRelativeChange() {
        assertEquals(5, EvaluationGolden.assertSensitivityMax(golden, TOLERANCE));
    }

    /**
     * PixelFlipping toward a constant baseline is the deletion curve against a baseline row of that
     * constant, one feature (or {@code features_in_step}) at a time by decreasing φ.
     */
    @Test
    void pixelFlippingIsTheDeletionCurveTowardAConstantBaseline() {
        assertEquals(17, eachCase(c -> {
            for (int step : new int[] {1, 2}) {
                JsonObject flipping = c.getAsJsonObject("pixel_flipping").getAsJsonObject(Integer.toString(step));
                double[] curve = EvaluationGolden.vector(flipping.get("curve"));
                // Prism's steps are the number of points after the first: M / features_in_step.
                DeletionCurve prism = deletion(c, 4 / step);
                double[] values = prism.values();
                // Quantus's curve has no point for the unperturbed instance: it is Prism's from point 1.
                assertEquals(curve.length + 1, values.length, c.toString());
                for (int j = 0; j < curve.length; j++) {
                    assertEquals(curve[j], values[j + 1], TOLERANCE, c + " point " + (j + 1));
                }
                // Quantus's AUC is the trapezoid over its points with spacing 1; Prism's starts at the
                // instance and spaces the points features_in_step / M apart.
                double auc = 4.0 / step * prism.area() - (values[0] + values[1]) / 2;
                assertEquals(flipping.get("auc").getAsDouble(), auc, TOLERANCE, c.toString());
            }
        }));
    }

    /** RegionPerturbation with 1-feature regions, most relevant first: f(x) minus the deletion curve. */
    @Test
    void regionPerturbationIsTheDropOfTheDeletionCurve() {
        assertEquals(17, eachCase(c -> {
            double[] regions = EvaluationGolden.vector(c.get("region_perturbation"));
            double[] values = deletion(c, 0).values();
            assertEquals(regions.length + 1, values.length, c.toString());
            for (int j = 0; j < regions.length; j++) {
                // Quantus records the decrease y(x) − y(x with j + 1 regions removed).
                assertEquals(regions[j], values[0] - values[j + 1], TOLERANCE, c + " region " + (j + 1));
            }
        }));
    }
}
