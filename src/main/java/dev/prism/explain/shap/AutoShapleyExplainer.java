package dev.prism.explain.shap;

import dev.prism.explain.ExplainInput;
import dev.prism.explain.ExplainMethod;
import dev.prism.explain.Explainer;
import dev.prism.explain.Explanation;
import dev.prism.explain.ProgressSink;
import dev.prism.explain.TimeBudget;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.RequestContext;
import java.util.List;

/**
 * The {@code auto} method, as shap's Explainer picks for tabular data: exact Shapley values when the
 * request has at most {@value #MAX_EXACT_FEATURES} features, KernelSHAP with its defaults otherwise.
 * The choice is made per request, from the feature count, so one response uses one method. It takes
 * no parameters (pass null).
 */
public final class AutoShapleyExplainer implements Explainer<Void> {
    public static final ExplainMethod METHOD = ExplainMethod.onModelRows("auto",
            ExplainMethod.Reference.BACKGROUND_OR_BASELINE,
            "the automatic choice of method has no anytime answer; name kernel_shap", false, false, true);
    public static final int MAX_EXACT_FEATURES = 10;
    public static final String EXACT = "exact_shapley";
    public static final String KERNEL = "kernel_shap";

    private final ExactShapleyExplainer exact = new ExactShapleyExplainer();
    private final KernelShapExplainer kernel = new KernelShapExplainer();

    /** The method the request runs: {@link #EXACT} or {@link #KERNEL}. */
    public static String method(ExplainInput input) {
        return input.featureCount() <= MAX_EXACT_FEATURES ? EXACT : KERNEL;
    }

    @Override
    public ExplainMethod method() {
        return METHOD;
    }

    @Override
    public String ranAs(ExplainInput input, Void params) {
        return method(input);
    }

    @Override
    public void validate(ExplainInput input, Void params) {
        if (method(input).equals(EXACT)) {
            exact.validate(input, ExactShapleyParams.DEFAULTS);
        } else {
            kernel.validate(input, KernelShapParams.DEFAULTS);
        }
    }

    @Override
    public long evaluationsNeeded(ExplainInput input, Void params) {
        return method(input).equals(EXACT)
                ? exact.evaluationsNeeded(input, ExactShapleyParams.DEFAULTS)
                : kernel.evaluationsNeeded(input, KernelShapParams.DEFAULTS);
    }

    @Override
    public long workingBytes(ExplainInput input, Void params, int outputWidth, boolean timeBudget) {
        return method(input).equals(EXACT)
                ? exact.workingBytes(input, ExactShapleyParams.DEFAULTS, outputWidth, timeBudget)
                : kernel.workingBytes(input, KernelShapParams.DEFAULTS, outputWidth, timeBudget);
    }


    @Override
    public List<Explanation> explain(ExplainInput input, Void params, BatchRunner runner, ProgressSink progress,
                                     RequestContext context, TimeBudget budget) {
        // Runs to its end: whether it could stop early would depend on the method it picks.
        return method(input).equals(EXACT)
                ? exact.explain(input, ExactShapleyParams.DEFAULTS, runner, progress, context, TimeBudget.NONE)
                : kernel.explain(input, KernelShapParams.DEFAULTS, runner, progress, context, TimeBudget.NONE);
    }
}
