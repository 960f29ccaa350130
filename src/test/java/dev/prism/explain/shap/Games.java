package dev.prism.explain.shap;

import dev.prism.explain.ExplainInput;
import dev.prism.explain.Link;
import dev.prism.model.Background;
import dev.prism.tensor.RowBlock;
import dev.prism.testing.FunctionModel;
import java.util.Random;
import java.util.function.Function;

/** Models, backgrounds and inputs for the Shapley explainers' tests. */
final class Games {
    private Games() {}

    static double[] random(Random r, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextGaussian();
        }
        return v;
    }

    /** Gaussian rows with unequal weights. */
    static Background randomBackground(Random r, int rows, int m) {
        double[] w = new double[rows];
        for (int k = 0; k < rows; k++) {
            w[k] = 0.5 + r.nextDouble();
        }
        return new Background(new RowBlock(rows, m, random(r, rows * m)), w);
    }

    /**
     * Two probabilities with interactions of every order among the first three features and the
     * last (at least two features), so both links apply.
     */
    static Function<double[], double[]> nonlinear(Random r, int m) {
        double[] a = random(r, m);
        return x -> {
            double s = 0;
            for (int i = 0; i < x.length; i++) {
                s += a[i] * x[i];
            }
            double triple = x[0] * x[1] * (x.length > 2 ? x[2] : 1);
            double z0 = Math.tanh(s) + triple + Math.sin(x[1] * x[x.length - 1]);
            return new double[] {1 / (1 + Math.exp(-z0)), 1 / (1 + Math.exp(-(s + triple)))};
        };
    }

    /**
     * A game with interactions of order at most two, y = a·x + Σ_{i<j} b_ij x_i x_j, plus
     * x_0 x_1 x_2 when {@code withTriple} (which paired designs cannot solve exactly).
     */
    static Function<double[], double[]> orderTwo(Random r, int m, boolean withTriple) {
        double[] a = random(r, m);
        double[][] b = new double[m][m];
        for (int i = 0; i < m; i++) {
            for (int j = i + 1; j < m; j++) {
                b[i][j] = r.nextGaussian();
            }
        }
        return x -> {
            double y = withTriple ? x[0] * x[1] * x[2] : 0;
            for (int i = 0; i < m; i++) {
                y += a[i] * x[i];
                for (int j = i + 1; j < m; j++) {
                    y += b[i][j] * x[i] * x[j];
                }
            }
            return new double[] {y};
        };
    }

    /** Every output of the model explained. */
    static ExplainInput input(FunctionModel model, RowBlock x, Background bg, Link link, long seed) {
        int[] columns = new int[model.signature().outputCount()];
        for (int i = 0; i < columns.length; i++) {
            columns[i] = i;
        }
        return new ExplainInput(x, bg, columns, link, seed);
    }

    /** One instance, every output of the model explained. */
    static ExplainInput input(FunctionModel model, double[] x, Background bg, Link link, long seed) {
        return input(model, new RowBlock(1, x.length, x.clone()), bg, link, seed);
    }

    static double logit(double p) {
        return Math.log(p / (1 - p));
    }
}
