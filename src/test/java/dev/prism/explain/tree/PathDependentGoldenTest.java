package dev.prism.explain.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import dev.prism.linalg.Cancellation;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Path-dependent TreeSHAP and its interaction values on the ONNX exports against shap 0.51's
 * {@code TreeExplainer(model, data=background, feature_perturbation="tree_path_dependent")} on the
 * native models, its {@code shap_values} and {@code shap_interaction_values}
 * (tools/make_golden_trees.py): the same game, so equal to 1e-6 of the largest value; the leaf
 * weights' rounding to float32 in the exports is what is left.
 */
class PathDependentGoldenTest {
    private static final double RELATIVE = 1e-6;
    static final List<String> MODELS = GoldenTrees.MODELS;

    /** max |got − want| / max |want| over every instance, feature and column. */
    private static double relativeError(double[][][] got, JsonArray want) {
        double error = 0;
        double size = 0;
        for (int i = 0; i < got.length; i++) {
            double[][] w = GoldenTrees.matrix(want.get(i).getAsJsonArray());
            for (int f = 0; f < got[i].length; f++) {
                for (int c = 0; c < got[i][f].length; c++) {
                    error = Math.max(error, Math.abs(got[i][f][c] - w[f][c]));
                    size = Math.max(size, Math.abs(w[f][c]));
                }
            }
        }
        return error / size;
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void equalsShapsPathValues(String name) {
        GoldenTrees g = GoldenTrees.load(name);
        PathDependentTreeShap shap = new PathDependentTreeShap(g.trees(), g.features(), g.background(),
                Cancellation.NEVER);
        int targets = g.trees().targetCount();
        double[][][] got = new double[g.instances().length][g.features()][g.columns()];
        double[] wantBase = GoldenTrees.vector(g.golden().getAsJsonArray("path_base_values"));
        for (int i = 0; i < got.length; i++) {
            TreeShapValues v = shap.explainWithReach(g.instances()[i], Cancellation.NEVER);
            double[] perTarget = new double[targets];
            for (int f = 0; f < g.features(); f++) {
                for (int k = 0; k < targets; k++) {
                    perTarget[k] = v.values()[k][f];
                }
                for (int c = 0; c < g.columns(); c++) {
                    got[i][f][c] = g.column(c, perTarget, v.values()[targets][f]);
                }
            }
            // shap's base is the background's mean prediction, v(∅) but for the empty covers' terms.
            for (int c = 0; c < g.columns(); c++) {
                double base = g.column(c, Arrays.copyOf(v.base(), targets), v.base()[targets]);
                assertEquals(wantBase[c], base, RELATIVE * Math.abs(wantBase[c]), name + " base " + c);
            }
        }
        double error = relativeError(got, g.golden().getAsJsonArray("path_values"));
        System.out.printf("path-dependent %s: max error / max |value| = %.2e%n", name, error);
        assertTrue(error <= RELATIVE, name + ": " + error);
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void equalsShapsPathInteractionValues(String name) {
        GoldenTrees g = GoldenTrees.load(name);
        PathDependentTreeShapInteractions shap = new PathDependentTreeShapInteractions(g.trees(), g.features(),
                g.background(), Cancellation.NEVER);
        int targets = g.trees().targetCount();
        int m = g.features();
        JsonArray want = g.golden().getAsJsonArray("path_interaction_values");
        double error = 0;
        double size = 0;
        double[] perTarget = new double[targets];
        for (int n = 0; n < g.instances().length; n++) {
            TreeShapInteractions v = shap.explainWithReach(g.instances()[n], Cancellation.NEVER);
            JsonArray wantN = want.get(n).getAsJsonArray();
            for (int i = 0; i < m; i++) {
                double[][] w = GoldenTrees.matrix(wantN.get(i).getAsJsonArray());
                for (int j = 0; j < m; j++) {
                    for (int k = 0; k < targets; k++) {
                        perTarget[k] = v.values()[k][i][j];
                    }
                    for (int c = 0; c < g.columns(); c++) {
                        double got = g.column(c, perTarget, v.values()[targets][i][j]);
                        error = Math.max(error, Math.abs(got - w[j][c]));
                        size = Math.max(size, Math.abs(w[j][c]));
                    }
                }
            }
        }
        error /= size;
        System.out.printf("path-dependent interactions %s: max error / max |value| = %.2e%n", name, error);
        assertTrue(error <= RELATIVE, name + ": " + error);
    }
}
