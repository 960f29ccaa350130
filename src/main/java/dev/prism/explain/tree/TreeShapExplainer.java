package dev.prism.explain.tree;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.Diagnostics;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.ExplainMethod;
import dev.prism.explain.Explainer;
import dev.prism.explain.Explanation;
import dev.prism.explain.Link;
import dev.prism.explain.ProgressSink;
import dev.prism.explain.TimeBudget;
import dev.prism.model.trees.ScoreLayout;
import dev.prism.model.trees.TreeEnsemble;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.RequestContext;
import java.util.ArrayList;
import java.util.List;

/**
 * tree_shap: the exact interventional Shapley values of a tree ensemble's margins, read from its
 * trees, from tables of the background ({@link BackgroundTreeShap}) or by walking it
 * ({@link InterventionalTreeShap}) as {@link ServedEnsemble#plan} decides; no model rows. Rows are
 * split across the server's row threads. A score column's margin is the ensemble's
 * target margin as ONNX Runtime lays it out before the transform ({@link ScoreLayout}): for the
 * binary layouts the first column is 1 − s or −s, so its attributions are −φ(s). Base value: the
 * background's weighted mean margin; model output: the margin of the instance.
 */
public final class TreeShapExplainer implements Explainer<TreeShapParams> {
    public static final ExplainMethod METHOD = ExplainMethod.onTrees("tree_shap", ExplainMethod.Reference.BACKGROUND,
            "tree_shap is exact and evaluates no model rows, so it has no estimate before its end", false, true);

    @Override
    public ExplainMethod method() {
        return METHOD;
    }

    @Override
    public void validate(ExplainInput input, TreeShapParams params) {
        if (!input.groups().isSingletons()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "feature_groups", "tree_shap explains each element"
                    + " of the input; it does not take feature_groups");
        }
        if (input.link() != Link.IDENTITY) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "link", "tree_shap explains the ensemble's margin,"
                    + " before any transform; leave link unset");
        }
        if (input.instances().width() != params.trees().featureCount()) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, "inputs", "the ensemble reads "
                    + params.trees().featureCount() + " features, the instances have " + input.instances().width());
        }
    }

    /** Tree walks: every tree, for every instance and background row. */
    @Override
    public long evaluationsNeeded(ExplainInput input, TreeShapParams params) {
        return (long) input.instances().rows() * input.background().size() * params.trees().treeCount();
    }

    /**
     * Each running instance's values for every target while its explanations are built, and the
     * background's table when this request builds it.
     */
    @Override
    public long workingBytes(ExplainInput input, TreeShapParams params, int outputWidth, boolean timeBudget) {
        TreeEnsemble trees = params.trees();
        long perRow = 4L * (trees.targetCount() + 1) * (input.featureCount() + 1) * Double.BYTES
                + 64L * trees.maxDepth() * Long.BYTES;
        return perRow * params.ensemble().rows().threads()
                + params.ensemble().planBytes(input.background(), input.instances().rows());
    }

    @Override
    public List<Explanation> explain(ExplainInput input, TreeShapParams params, BatchRunner runner,
                                     ProgressSink progress, RequestContext context, TimeBudget budget) {
        ServedEnsemble ensemble = params.ensemble();
        TreeEnsemble trees = ensemble.trees();
        int n = input.instances().rows();
        progress.total(n);
        ServedEnsemble.Plan plan = ensemble.plan(input.background(), n, context::throwIfCancelled);
        Explanation[][] byRow = new Explanation[n][];
        ensemble.rows().run(n, i -> {
            long started = System.nanoTime();
            double[] x = input.instances().row(i);
            TreeShapValues values = plan.explain(x, context::throwIfCancelled);
            double[] margins = trees.margins(x);
            double seconds = (System.nanoTime() - started) / 1e9;
            Explanation[] row = new Explanation[input.outputCount()];
            for (int k = 0; k < row.length; k++) {
                int column = input.output(k);
                Column c = column(trees.layout(), column);
                double[] phi = values.values()[c.target].clone();
                for (int f = 0; f < phi.length; f++) {
                    phi[f] *= c.sign;
                }
                row[k] = new Explanation(i, column, c.offset + c.sign * values.base()[c.target],
                        c.offset + c.sign * margins[c.target], phi, null,
                        new Diagnostics(0, 0, true, phi.length, seconds));
            }
            byRow[i] = row;
        }, context::throwIfCancelled, progress::advance);
        List<Explanation> out = new ArrayList<>(n * input.outputCount());
        for (Explanation[] row : byRow) {
            out.addAll(List.of(row));
        }
        return out;
    }

    /** A score column's margin as offset + sign · margin of a target. */
    private record Column(int target, double sign, double offset) {}

    private static Column column(ScoreLayout layout, int column) {
        return switch (layout) {
            case TARGETS -> new Column(column, 1, 0);
            case COMPLEMENT_PAIR -> column == 0 ? new Column(0, -1, 1) : new Column(0, 1, 0);
            case NEGATED_PAIR -> column == 0 ? new Column(0, -1, 0) : new Column(0, 1, 0);
        };
    }
}
