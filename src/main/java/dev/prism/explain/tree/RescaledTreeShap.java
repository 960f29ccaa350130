package dev.prism.explain.tree;

import dev.prism.linalg.Cancellation;
import dev.prism.model.Background;
import dev.prism.model.trees.OutputTransform;
import dev.prism.model.trees.ScoreLayout;
import dev.prism.model.trees.TreeEnsemble;
import dev.prism.tensor.RowBlock;
import java.util.Optional;

/**
 * shap's {@code model_output="probability"} for a transformed output: for each background row r,
 * the interventional margin values of x against r alone, scaled by (f(x) − f(r)) / (m(x) − m(r))
 * for the column's output f and its target's margin m, then averaged with the rows' weights. The
 * values add up to f(x) − Σ_r w_r f(r), but they are a per-row rescaling of the margin's values
 * (DeepLIFT's rescale rule), not the Shapley values of the game Σ_r w_r f(x_S, r_S̄); callers must
 * not present them as exact. Where m(x) = m(r) the ratio is f's slope at m(x).
 *
 * <p>A column must be a function of one margin: every column of a one-target ensemble, or any
 * column of an element-wise transform (none, logistic); a softmax over several margins is not
 * ({@link #unsupported}). Cost: a walk of x against each background row, O(T·L·R·D) per instance,
 * as shap's. Immutable; safe to share between threads.
 */
public final class RescaledTreeShap {
    private final TreeEnsemble trees;
    private final InterventionalTreeShap walk;
    private final Background background;
    /** Each background row as a background of its own. */
    private final Background[] single;
    private final double[][] rowMargins;
    private final double[][] rowOutputs;

    public RescaledTreeShap(TreeEnsemble trees, Background background) {
        this.trees = trees;
        int m = trees.featureCount();
        this.walk = new InterventionalTreeShap(trees, m);
        this.background = background;
        this.single = new Background[background.size()];
        this.rowMargins = new double[background.size()][];
        this.rowOutputs = new double[background.size()][];
        for (int r = 0; r < single.length; r++) {
            double[] row = background.rows().row(r);
            single[r] = Background.uniform(new RowBlock(1, m, row));
            rowMargins[r] = trees.margins(row);
            rowOutputs[r] = trees.outputsOfMargins(rowMargins[r]);
        }
    }

    /** Why the ensemble's columns are not functions of one margin each, or empty when they are. */
    public static Optional<String> unsupported(TreeEnsemble trees) {
        if (trees.targetCount() == 1 || trees.transform() == OutputTransform.NONE
                || trees.transform() == OutputTransform.LOGISTIC) {
            return Optional.empty();
        }
        return Optional.of("its " + trees.transform() + " mixes " + trees.targetCount()
                + " margins into each output, so no output is a function of one margin to rescale");
    }

    /** The target whose margin a score column is a function of. */
    static int targetOf(ScoreLayout layout, int column) {
        return layout == ScoreLayout.TARGETS ? column : 0;
    }

    /**
     * Explains one instance for the given score columns.
     *
     * @return values[k] and base[k] for columns[k]: the rescaled values and Σ_r w_r f(r)
     */
    public TreeShapValues explain(double[] x, int[] columns, Cancellation cancellation) {
        double[] mx = trees.margins(x);
        double[] fx = trees.outputsOfMargins(mx);
        int m = trees.featureCount();
        double[][] values = new double[columns.length][m];
        double[] base = new double[columns.length];
        double[] slope = new double[columns.length];
        for (int k = 0; k < columns.length; k++) {
            slope[k] = slope(mx, columns[k]);
        }
        for (int r = 0; r < single.length; r++) {
            cancellation.throwIfCancelled();
            double w = background.weight(r);
            if (w == 0) {
                continue;
            }
            TreeShapValues againstRow = walk.explain(x, single[r], cancellation);
            for (int k = 0; k < columns.length; k++) {
                int c = columns[k];
                int t = targetOf(trees.layout(), c);
                double dm = mx[t] - rowMargins[r][t];
                double scale = Math.abs(dm) > 1e-12 * (1 + Math.abs(mx[t]))
                        ? (fx[c] - rowOutputs[r][c]) / dm : slope[k];
                double[] phi = againstRow.values()[t];
                for (int f = 0; f < m; f++) {
                    values[k][f] += w * scale * phi[f];
                }
                base[k] += w * rowOutputs[r][c];
            }
        }
        return new TreeShapValues(values, base);
    }

    /** d f_column / d m_target at x's margins, by a central difference. */
    private double slope(double[] margins, int column) {
        int t = targetOf(trees.layout(), column);
        double h = 1e-6 * Math.max(1, Math.abs(margins[t]));
        double[] up = margins.clone();
        double[] down = margins.clone();
        up[t] += h;
        down[t] -= h;
        return (trees.outputsOfMargins(up)[column] - trees.outputsOfMargins(down)[column]) / (2 * h);
    }
}
