package dev.prism.explain.tree;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.Caveat;
import dev.prism.explain.Diagnostics;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.ExplainMethod;
import dev.prism.explain.Explainer;
import dev.prism.explain.Explanation;
import dev.prism.explain.Link;
import dev.prism.explain.ProgressSink;
import dev.prism.explain.TimeBudget;
import dev.prism.explain.tree.TreeShapParams.Game;
import dev.prism.explain.tree.TreeShapParams.Output;
import dev.prism.model.trees.ScoreLayout;
import dev.prism.model.trees.TreeEnsemble;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.RequestContext;
import java.util.ArrayList;
import java.util.List;

/**
 * tree_shap: Shapley values of a tree ensemble read from its trees, no model rows. Per request it
 * picks one algorithm and runs it on every instance, rows split across the server's row threads:
 * <ul>
 *   <li>margin values: tables ({@link TabulatedTreeShap}, from {@link InterventionalTables} or
 *       {@link PathDependentTables}) or the walk ({@link InterventionalTreeShap},
 *       {@link PathDependentTreeShap}), as {@link ServedEnsemble#plan} decides;</li>
 *   <li>interaction values: {@link InterventionalTreeShapInteractions} or
 *       {@link PathDependentTreeShapInteractions};</li>
 *   <li>rescaled: {@link RescaledTreeShap}, which is not exact and says so.</li>
 * </ul>
 * A score column's margin is the ensemble's target margin as ONNX Runtime lays it out before the
 * transform ({@link ScoreLayout}): for the binary layouts the first column is 1 − s or −s, so its
 * values are −φ(s) (and, for 1 − s in the path-dependent game, whose weights need not sum to 1,
 * the constant's own game, the reach game, plus −φ(s)).
 */
public final class TreeShapExplainer implements Explainer<TreeShapParams> {
    public static final ExplainMethod METHOD = ExplainMethod.onTrees("tree_shap", ExplainMethod.Reference.BACKGROUND,
            "tree_shap is exact and evaluates no model rows, so it has no estimate before its end", false, true);
    /** The response warning of rescaled values. */
    public static final String RESCALED_CODE = "RESCALED_OUTPUT";

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
                    + " before any transform, or rescales it with tree_shap.output; leave link unset");
        }
        if (input.instances().width() != params.trees().featureCount()) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, "inputs", "the ensemble reads "
                    + params.trees().featureCount() + " features, the instances have " + input.instances().width());
        }
        if (params.modelCovers()) {
            if (params.game() != Game.PATH_DEPENDENT) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, "tree_shap.model_covers", "covers weigh the"
                        + " path-dependent game only; set feature_perturbation to FEATURE_PERTURBATION_PATH_DEPENDENT");
            }
            params.trees().coversUnusable().ifPresent(why -> {
                throw new PrismException(Reason.METHOD_UNSUPPORTED_FOR_MODEL,
                        "tree_shap cannot use this model's covers: " + why);
            });
        }
        if (params.output() == Output.RESCALED) {
            if (params.game() == Game.PATH_DEPENDENT) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, "tree_shap.output", "OUTPUT_RESCALED is defined"
                        + " for the interventional game only, as in shap");
            }
            if (params.interactions()) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, "tree_shap.interactions", "interaction values"
                        + " are computed for the margin only; leave output unset or OUTPUT_MARGIN");
            }
            RescaledTreeShap.unsupported(params.trees()).ifPresent(why -> {
                throw new PrismException(Reason.METHOD_UNSUPPORTED_FOR_MODEL,
                        "tree_shap cannot rescale this model's outputs: " + why);
            });
        }
    }

    @Override
    public List<Caveat> caveats(ExplainInput input, TreeShapParams params) {
        if (params.output() != Output.RESCALED) {
            return List.of();
        }
        return List.of(new Caveat(RESCALED_CODE, "tree_shap.output = OUTPUT_RESCALED scales each background row's"
                + " margin values by the ratio of the output's change to the margin's (shap's"
                + " model_output=\"probability\"): they add up to f(x) - mean f(r) but are not the Shapley values"
                + " of the output; exact_shapley or kernel_shap give those"));
    }

    /**
     * Tree walks: every tree for every instance, and for every background row too where the values
     * come from walking it (rescaled, interventional interactions, or interventional without a
     * table); counting covers or building a table walks every tree once per background row.
     */
    @Override
    public long evaluationsNeeded(ExplainInput input, TreeShapParams params) {
        long n = input.instances().rows();
        long rows = input.background().size();
        long trees = params.trees().treeCount();
        if (params.output() == Output.MARGIN && !params.interactions()) {
            return params.ensemble().walks(kind(input, params), input.background(), input.instances().rows());
        }
        if (params.game() == Game.PATH_DEPENDENT) {
            return (n + (params.modelCovers() ? 0 : rows)) * trees;
        }
        return n * rows * trees;
    }

    /** The tables a request of margin values reads, or builds. */
    private static TreeTableCache.Kind kind(ExplainInput input, TreeShapParams params) {
        if (params.game() == Game.INTERVENTIONAL) {
            return TreeTableCache.Kind.INTERVENTIONAL;
        }
        return new TreeTableCache.Kind(Game.PATH_DEPENDENT, params.modelCovers(), needsReach(input, params));
    }

    /** Only a column laid out as 1 − s needs the path-dependent reach game (see columns). */
    private static boolean needsReach(ExplainInput input, TreeShapParams params) {
        return params.game() == Game.PATH_DEPENDENT && params.trees().layout() == ScoreLayout.COMPLEMENT_PAIR
                && explains(input, 0);
    }

    /**
     * Each running instance's values for every target while its explanations are built, the
     * answer's interaction matrices, and the background's table when this request builds it.
     */
    @Override
    public long workingBytes(ExplainInput input, TreeShapParams params, int outputWidth, boolean timeBudget) {
        TreeEnsemble trees = params.trees();
        long m = input.featureCount();
        long perTarget = params.interactions() ? m * m + m : m;
        long perRow = 4L * (trees.targetCount() + 1) * (perTarget + 1) * Double.BYTES
                + 64L * trees.maxDepth() * Long.BYTES;
        long answer = params.interactions()
                ? 2L * input.instances().rows() * input.outputCount() * m * m * Double.BYTES : 0;
        long plan = params.output() == Output.MARGIN && !params.interactions()
                ? params.ensemble().planBytes(kind(input, params), input.background(), input.instances().rows()) : 0;
        return perRow * params.ensemble().rows().threads() + answer + plan;
    }

    @Override
    public List<Explanation> explain(ExplainInput input, TreeShapParams params, BatchRunner runner,
                                     ProgressSink progress, RequestContext context, TimeBudget budget) {
        ServedEnsemble ensemble = params.ensemble();
        TreeEnsemble trees = ensemble.trees();
        int n = input.instances().rows();
        progress.total(n);
        RowValues algorithm = algorithm(input, params, context);
        Explanation[][] byRow = new Explanation[n][];
        ensemble.rows().run(n, i -> {
            long started = System.nanoTime();
            double[] x = input.instances().row(i);
            byRow[i] = algorithm.explain(i, x, started);
        }, context::throwIfCancelled, progress::advance);
        List<Explanation> out = new ArrayList<>(n * input.outputCount());
        for (Explanation[] row : byRow) {
            out.addAll(List.of(row));
        }
        return out;
    }

    /** One instance's explanations, one per explained column. */
    @FunctionalInterface
    private interface RowValues {
        Explanation[] explain(int instance, double[] x, long startedNanos);
    }

    private static RowValues algorithm(ExplainInput input, TreeShapParams params, RequestContext context) {
        TreeEnsemble trees = params.trees();
        int features = trees.featureCount();
        if (params.output() == Output.RESCALED) {
            RescaledTreeShap rescaled = new RescaledTreeShap(trees, input.background());
            int[] columns = new int[input.outputCount()];
            for (int k = 0; k < columns.length; k++) {
                columns[k] = input.output(k);
            }
            return (i, x, started) -> {
                TreeShapValues v = rescaled.explain(x, columns, context::throwIfCancelled);
                double[] outputs = trees.outputs(x);
                Explanation[] row = new Explanation[columns.length];
                for (int k = 0; k < columns.length; k++) {
                    row[k] = new Explanation(i, columns[k], v.base()[k], outputs[columns[k]], v.values()[k], null,
                            diagnostics(features, false, started));
                }
                return row;
            };
        }
        boolean path = params.game() == Game.PATH_DEPENDENT;
        boolean reach = needsReach(input, params);
        if (params.interactions()) {
            if (path) {
                PathDependentTreeShapInteractions pd = params.modelCovers()
                        ? new PathDependentTreeShapInteractions(trees, features, trees.covers().orElseThrow())
                        : new PathDependentTreeShapInteractions(trees, features, input.background(),
                                context::throwIfCancelled);
                return (i, x, started) -> columns(input, trees, i, x, started, reach
                        ? pd.explainWithReach(x, context::throwIfCancelled)
                        : pd.explain(x, context::throwIfCancelled), reach);
            }
            InterventionalTreeShapInteractions iv = new InterventionalTreeShapInteractions(trees, features);
            return (i, x, started) -> columns(input, trees, i, x, started,
                    iv.explain(x, input.background(), context::throwIfCancelled), false);
        }
        ServedEnsemble.Plan plan = params.ensemble().plan(kind(input, params), input.background(),
                input.instances().rows(), context::throwIfCancelled);
        return (i, x, started) -> columns(input, trees, i, x, started, plan.explain(x, context::throwIfCancelled),
                reach);
    }

    /** Whether the request explains a score column. */
    private static boolean explains(ExplainInput input, int column) {
        for (int k = 0; k < input.outputCount(); k++) {
            if (input.output(k) == column) {
                return true;
            }
        }
        return false;
    }

    /** Values per target (and, with reach, the reach game's as one more row) laid out per column. */
    private static Explanation[] columns(ExplainInput input, TreeEnsemble trees, int i, double[] x, long started,
                                         TreeShapValues values, boolean withReach) {
        double[] margins = values.margins() != null ? values.margins() : trees.margins(x);
        Explanation[] row = new Explanation[input.outputCount()];
        for (int k = 0; k < row.length; k++) {
            int column = input.output(k);
            Column c = column(trees.layout(), column);
            double[] phi = values.values()[c.target].clone();
            double base = values.base()[c.target];
            for (int f = 0; f < phi.length; f++) {
                phi[f] *= c.sign;
            }
            base = c.offset + c.sign * base;
            if (withReach && c.offset != 0) {
                double[] reach = values.values()[trees.targetCount()];
                for (int f = 0; f < phi.length; f++) {
                    phi[f] += c.offset * reach[f];
                }
                base += c.offset * (values.base()[trees.targetCount()] - 1);
            }
            row[k] = new Explanation(i, column, base, c.offset + c.sign * margins[c.target], phi, null,
                    diagnostics(phi.length, true, started));
        }
        return row;
    }

    /** As {@link #columns}, for interaction values: the attributions are the rows' sums. */
    private static Explanation[] columns(ExplainInput input, TreeEnsemble trees, int i, double[] x, long started,
                                         TreeShapInteractions values, boolean withReach) {
        double[] margins = trees.margins(x);
        int m = trees.featureCount();
        Explanation[] row = new Explanation[input.outputCount()];
        for (int k = 0; k < row.length; k++) {
            int column = input.output(k);
            Column c = column(trees.layout(), column);
            double[][] target = values.values()[c.target];
            double[][] reach = withReach && c.offset != 0 ? values.values()[trees.targetCount()] : null;
            double[] pairs = new double[m * m];
            double[] phi = new double[m];
            for (int a = 0; a < m; a++) {
                for (int b = 0; b < m; b++) {
                    double v = c.sign * target[a][b] + (reach == null ? 0 : c.offset * reach[a][b]);
                    pairs[a * m + b] = v;
                    phi[a] += v;
                }
            }
            double base = c.offset + c.sign * values.base()[c.target];
            if (reach != null) {
                base += c.offset * (values.base()[trees.targetCount()] - 1);
            }
            row[k] = new Explanation(i, column, base, c.offset + c.sign * margins[c.target], phi, null,
                    diagnostics(m, true, started), pairs);
        }
        return row;
    }

    private static Diagnostics diagnostics(int features, boolean exact, long started) {
        return new Diagnostics(0, 0, exact, features, (System.nanoTime() - started) / 1e9);
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
