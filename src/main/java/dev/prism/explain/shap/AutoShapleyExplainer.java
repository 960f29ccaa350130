package dev.prism.explain.shap;

import dev.prism.explain.ExplainInput;
import dev.prism.explain.ExplainMethod;
import dev.prism.explain.Explainer;
import dev.prism.explain.Explanation;
import dev.prism.explain.ProgressSink;
import dev.prism.explain.Link;
import dev.prism.explain.TimeBudget;
import dev.prism.explain.tree.TreeShapExplainer;
import dev.prism.explain.tree.TreeShapParams;
import dev.prism.model.trees.OutputTransform;
import dev.prism.model.trees.TreeEnsemble;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.RequestContext;
import java.util.List;

/**
 * The {@code auto} method, as shap's Explainer picks for tabular data: tree_shap for a tree ensemble
 * whose explained output is linear in its leaf values (no transform: a random forest's averaged
 * probabilities, a regressor), since its interventional values are then the exact Shapley values of
 * the output, from the trees; else exact Shapley values when the request has at most
 * {@value #MAX_EXACT_FEATURES} features, KernelSHAP with its defaults otherwise. The choice is made
 * per request, so one response uses one method, and the response names it.
 */
public final class AutoShapleyExplainer implements Explainer<AutoParams> {
    public static final ExplainMethod METHOD = ExplainMethod.onModelRows("auto",
            ExplainMethod.Reference.BACKGROUND_OR_BASELINE,
            "the automatic choice of method has no anytime answer; name kernel_shap", false, false, true);
    public static final int MAX_EXACT_FEATURES = 10;
    public static final String EXACT = "exact_shapley";
    public static final String KERNEL = "kernel_shap";
    public static final String TREES = "tree_shap";

    private final ExactShapleyExplainer exact = new ExactShapleyExplainer();
    private final KernelShapExplainer kernel = new KernelShapExplainer();
    private final TreeShapExplainer trees = new TreeShapExplainer();

    /** The method a request without trees runs: {@link #EXACT} or {@link #KERNEL}. */
    public static String method(ExplainInput input) {
        return input.featureCount() <= MAX_EXACT_FEATURES ? EXACT : KERNEL;
    }

    /** The method the request runs: {@link #TREES}, {@link #EXACT} or {@link #KERNEL}. */
    public static String method(ExplainInput input, AutoParams params) {
        return treeShap(input, params) != null ? TREES : method(input);
    }

    /**
     * tree_shap's parameters when it gives this request the Shapley values of the output itself:
     * the model's margins are its outputs (no transform, no tail), the request explains elements
     * against a background in the identity link; else null.
     */
    private static TreeShapParams treeShap(ExplainInput input, AutoParams params) {
        if (params == null || params.ensemble().isEmpty() || input.baseline() || input.link() != Link.IDENTITY
                || !input.groups().isSingletons()) {
            return null;
        }
        TreeEnsemble ensemble = params.ensemble().get().trees();
        if (ensemble.transform() != OutputTransform.NONE || !ensemble.tail().isEmpty()
                || input.instances().width() != ensemble.featureCount()) {
            return null;
        }
        return new TreeShapParams(params.ensemble().get());
    }

    @Override
    public ExplainMethod method() {
        return METHOD;
    }

    @Override
    public String ranAs(ExplainInput input, AutoParams params) {
        return method(input, params);
    }

    @Override
    public void validate(ExplainInput input, AutoParams params) {
        TreeShapParams t = treeShap(input, params);
        if (t != null) {
            trees.validate(input, t);
        } else if (method(input).equals(EXACT)) {
            exact.validate(input, ExactShapleyParams.DEFAULTS);
        } else {
            kernel.validate(input, KernelShapParams.DEFAULTS);
        }
    }

    @Override
    public long evaluationsNeeded(ExplainInput input, AutoParams params) {
        TreeShapParams t = treeShap(input, params);
        if (t != null) {
            return trees.evaluationsNeeded(input, t);
        }
        return method(input).equals(EXACT)
                ? exact.evaluationsNeeded(input, ExactShapleyParams.DEFAULTS)
                : kernel.evaluationsNeeded(input, KernelShapParams.DEFAULTS);
    }

    @Override
    public long workingBytes(ExplainInput input, AutoParams params, int outputWidth, boolean timeBudget) {
        TreeShapParams t = treeShap(input, params);
        if (t != null) {
            return trees.workingBytes(input, t, outputWidth, timeBudget);
        }
        return method(input).equals(EXACT)
                ? exact.workingBytes(input, ExactShapleyParams.DEFAULTS, outputWidth, timeBudget)
                : kernel.workingBytes(input, KernelShapParams.DEFAULTS, outputWidth, timeBudget);
    }


    @Override
    public List<Explanation> explain(ExplainInput input, AutoParams params, BatchRunner runner,
                                     ProgressSink progress, RequestContext context, TimeBudget budget) {
        // Runs to its end: whether it could stop early would depend on the method it picks.
        TreeShapParams t = treeShap(input, params);
        if (t != null) {
            return trees.explain(input, t, runner, progress, context, TimeBudget.NONE);
        }
        return method(input).equals(EXACT)
                ? exact.explain(input, ExactShapleyParams.DEFAULTS, runner, progress, context, TimeBudget.NONE)
                : kernel.explain(input, KernelShapParams.DEFAULTS, runner, progress, context, TimeBudget.NONE);
    }
}
