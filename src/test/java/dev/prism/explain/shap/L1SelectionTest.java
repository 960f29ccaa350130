package dev.prism.explain.shap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonObject;
import dev.prism.testing.L1Golden;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
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
                c.get("delta").getAsDouble(), rule(c.getAsJsonObject("l1_reg")));
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

    @Test
    void additiveGameKeepsItsNonZeroFeatures() {
        // v(z) = 3·z0 − 2·z2 + 0·z1 + 0·z3 over every coalition of four features, Shapley kernel
        // weights: the two features that matter enter the LAR path first.
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
        double[] k = weights.stream().mapToDouble(Double::doubleValue).toArray();
        double[] y = values.stream().mapToDouble(Double::doubleValue).toArray();
        assertArrayEquals(new int[] {0, 2}, L1Selection.select(masks, k, y, 1.0, new L1Rule.NumFeatures(2)));
        assertArrayEquals(new int[] {0, 2}, L1Selection.select(masks, k, y, 1.0, new L1Rule.Alpha(0.01)));
    }

    @Test
    void rejectsMismatchedInputs() {
        List<boolean[]> masks = List.of(new boolean[] {true, false}, new boolean[] {false, true});
        assertThrows(IllegalArgumentException.class,
                () -> L1Selection.select(masks, new double[] {1}, new double[] {1, 2}, 1, new L1Rule.Aic()));
        assertThrows(IllegalArgumentException.class, () -> new L1Rule.NumFeatures(0));
        assertThrows(IllegalArgumentException.class, () -> new L1Rule.Alpha(0));
    }
}
