package dev.prism.explain.shap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonObject;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.linalg.Cancellation;
import dev.prism.testing.L1Golden;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The selection shap 0.51.0's KernelExplainer made in real runs with l1_reg set (its masks,
 * kernel weights and model values recorded by tools/make_l1_golden.py).
 */
class L1SelectionTest {

    static Stream<Arguments> cases() {
        return L1Golden.cases("l1_kernel_shap.json").stream()
                .map(c -> Arguments.of(c.get("name").getAsString(), c));
    }

    private static L1Rule rule(JsonObject spec) {
        return switch (spec.get("rule").getAsString()) {
            case "num_features" -> new L1Rule.NumFeatures(spec.get("k").getAsInt());
            case "aic" -> new L1Rule.Aic();
            case "bic" -> new L1Rule.Bic();
            case "alpha" -> new L1Rule.Alpha(spec.get("alpha").getAsDouble());
            default -> throw new IllegalArgumentException(spec.toString());
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void selectsWhatShapSelected(String name, JsonObject c) {
        int[] selected = L1Selection.select(L1Golden.masks(c.getAsJsonArray("masks")),
                L1Golden.vector(c.getAsJsonArray("kernel_weights")), L1Golden.vector(c.getAsJsonArray("ey_adj")),
                c.get("delta").getAsDouble(), rule(c.getAsJsonObject("l1_reg")), Cancellation.NEVER);
        assertArrayEquals(L1Golden.indices(c.getAsJsonArray("selected")), selected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void buildsTheAugmentedSystemShapBuilt(String name, JsonObject c) {
        L1Selection.Augmented system = L1Selection.augment(L1Golden.masks(c.getAsJsonArray("masks")),
                L1Golden.vector(c.getAsJsonArray("kernel_weights")), L1Golden.vector(c.getAsJsonArray("ey_adj")),
                c.get("delta").getAsDouble());
        double[][] x = system.x();
        double[] y = system.y();
        double[][] gram = L1Golden.matrix(c.getAsJsonArray("augmented_gram"));
        double[] xty = L1Golden.vector(c.getAsJsonArray("augmented_xty"));
        int m = gram.length;
        double yy = 0;
        for (double v : y) {
            yy += v * v;
        }
        assertEquals(c.get("augmented_yy").getAsDouble(), yy, 1e-12 * yy, "yᵀy");
        for (int i = 0; i < m; i++) {
            double xy = 0;
            for (int r = 0; r < x.length; r++) {
                xy += x[r][i] * y[r];
            }
            assertEquals(xty[i], xy, 1e-12 * Math.sqrt(gram[i][i] * yy), "Xᵀy[" + i + "]");
            for (int j = 0; j < m; j++) {
                double g = 0;
                for (double[] row : x) {
                    g += row[i] * row[j];
                }
                assertEquals(gram[i][j], g, 1e-12 * Math.sqrt(gram[i][i] * gram[j][j]), "XᵀX[" + i + "][" + j + "]");
            }
        }
    }

    /** v(z) = 3·z0 − 2·z2 + 0·z1 + 0·z3 over every proper coalition of four features, with Shapley kernel weights. */
    private record AdditiveGame(List<boolean[]> masks, double[] weights, double[] values) {
        static AdditiveGame of() {
            List<boolean[]> masks = new java.util.ArrayList<>();
            List<Double> weights = new java.util.ArrayList<>();
            List<Double> values = new java.util.ArrayList<>();
            int m = 4;
            for (int bits = 1; bits < (1 << m) - 1; bits++) {
                boolean[] z = new boolean[m];
                int size = 0;
                for (int i = 0; i < m; i++) {
                    z[i] = (bits >> i & 1) == 1;
                    size += z[i] ? 1 : 0;
                }
                masks.add(z);
                weights.add((m - 1.0) / (CoalitionDesign.binomial(m, size) * size * (m - size)));
                values.add((z[0] ? 3.0 : 0) - (z[2] ? 2.0 : 0));
            }
            return new AdditiveGame(masks, weights.stream().mapToDouble(Double::doubleValue).toArray(),
                    values.stream().mapToDouble(Double::doubleValue).toArray());
        }
    }

    @Test
    void additiveGameKeepsItsNonZeroFeatures() {
        // The two features that matter enter the LAR path first.
        AdditiveGame game = AdditiveGame.of();
        List<boolean[]> masks = game.masks();
        double[] k = game.weights();
        double[] y = game.values();
        assertArrayEquals(new int[] {0, 2}, L1Selection.select(masks, k, y, 1.0, new L1Rule.NumFeatures(2), Cancellation.NEVER));
        assertArrayEquals(new int[] {0, 2}, L1Selection.select(masks, k, y, 1.0, new L1Rule.Alpha(0.01), Cancellation.NEVER));
    }

    /** NaN values used to spin for ever in the lasso path; every rule now fails with a clear status. */
    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void valuesTheSolverCannotUseAreAClearInternalError() {
        AdditiveGame game = AdditiveGame.of();
        double[] y = game.values().clone();
        y[5] = Double.NaN;
        PrismException e = assertThrows(PrismException.class, () -> L1Selection.select(game.masks(), game.weights(),
                y, 1.0, new L1Rule.Aic(), Cancellation.NEVER));
        assertEquals(Reason.INTERNAL_ERROR, e.reason());
        assertEquals("kernel_shap l1_reg aic could not select features: LARS: Xᵀy is not finite (NaN at entry 0);"
                + " try another l1_reg or none", e.getMessage());
        for (L1Rule rule : List.of(new L1Rule.Bic(), new L1Rule.NumFeatures(2), new L1Rule.Alpha(0.01))) {
            assertEquals(Reason.INTERNAL_ERROR, assertThrows(PrismException.class, () -> L1Selection.select(
                    game.masks(), game.weights(), y, 1.0, rule, Cancellation.NEVER)).reason(), rule.toString());
        }
    }

    @Test
    void cancellationEndsTheSelectionWithItsOwnException() {
        AdditiveGame game = AdditiveGame.of();
        PrismException cancelled = new PrismException(Reason.CANCELLED, "the request was cancelled");
        for (L1Rule rule : List.of(new L1Rule.Aic(), new L1Rule.NumFeatures(2), new L1Rule.Alpha(0.01))) {
            assertSame(cancelled, assertThrows(PrismException.class, () -> L1Selection.select(game.masks(),
                    game.weights(), game.values(), 1.0, rule, () -> {
                        throw cancelled;
                    })), rule.toString());
        }
    }

    @Test
    void rejectsMismatchedInputs() {
        List<boolean[]> masks = List.of(new boolean[] {true, false}, new boolean[] {false, true});
        assertThrows(IllegalArgumentException.class,
                () -> L1Selection.select(masks, new double[] {1}, new double[] {1, 2}, 1, new L1Rule.Aic(),
                        Cancellation.NEVER));
        assertThrows(IllegalArgumentException.class, () -> new L1Rule.NumFeatures(0));
        assertThrows(IllegalArgumentException.class, () -> new L1Rule.Alpha(0));
    }
}
