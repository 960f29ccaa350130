package dev.prism.testing;

import dev.prism.model.Background;
import java.util.function.Function;

/**
 * Interventional Shapley values by the Shapley formula over every coalition, written
 * independently of the explainers: v(S) = Σ_k π_k f(x_S, b_k) and
 * φ_i = Σ_{S ∌ i} |S|!(M−|S|−1)!/M! · (v(S ∪ i) − v(S)).
 */
public final class Shapley {
    private Shapley() {}

    /** φ[output][feature] for output columns of f, after link; every element is a player. */
    public static double[][] bruteForce(Function<double[], double[]> f, double[] x, Background bg, int outputs,
                                        Function<Double, Double> link) {
        int[][] singletons = new int[x.length][];
        for (int i = 0; i < x.length; i++) {
            singletons[i] = new int[] {i};
        }
        return bruteForce(f, x, bg, singletons, outputs, link);
    }

    /**
     * φ[output][group] where each player is a group of elements; elements in no group always keep
     * the instance's value.
     */
    public static double[][] bruteForce(Function<double[], double[]> f, double[] x, Background bg, int[][] groups,
                                        int outputs, Function<Double, Double> link) {
        int m = groups.length;
        boolean[] grouped = new boolean[x.length];
        for (int[] g : groups) {
            for (int e : g) {
                grouped[e] = true;
            }
        }
        int subsets = 1 << m;
        double[][] v = new double[subsets][outputs];
        for (int s = 0; s < subsets; s++) {
            double[] mean = new double[outputs];
            for (int k = 0; k < bg.size(); k++) {
                double[] row = bg.rows().row(k);
                for (int e = 0; e < x.length; e++) {
                    if (!grouped[e]) {
                        row[e] = x[e];
                    }
                }
                for (int i = 0; i < m; i++) {
                    if ((s >> i & 1) == 1) {
                        for (int e : groups[i]) {
                            row[e] = x[e];
                        }
                    }
                }
                double[] y = f.apply(row);
                for (int d = 0; d < outputs; d++) {
                    mean[d] += bg.weight(k) * y[d];
                }
            }
            for (int d = 0; d < outputs; d++) {
                v[s][d] = link.apply(mean[d]);
            }
        }
        double[] factorial = new double[m + 1];
        factorial[0] = 1;
        for (int i = 1; i <= m; i++) {
            factorial[i] = factorial[i - 1] * i;
        }
        double[][] phi = new double[outputs][m];
        for (int s = 0; s < subsets; s++) {
            int size = Integer.bitCount(s);
            double weight = factorial[size] * factorial[m - size - 1 < 0 ? 0 : m - size - 1] / factorial[m];
            for (int i = 0; i < m; i++) {
                if ((s >> i & 1) == 0) {
                    for (int d = 0; d < outputs; d++) {
                        phi[d][i] += weight * (v[s | 1 << i][d] - v[s][d]);
                    }
                }
            }
        }
        return phi;
    }
}
