package dev.prism.explain.gradient;

import dev.prism.explain.Diagnostics;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.ExplainMethod;
import dev.prism.explain.Explainer;
import dev.prism.explain.Explanation;
import dev.prism.explain.ProgressSink;
import dev.prism.explain.TimeBudget;
import dev.prism.model.AttributionKind;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.RequestContext;
import java.util.ArrayList;
import java.util.List;

/**
 * DeepLIFT (Rescale) against one reference input, the request's baseline: one graph row per
 * instance and output gives the contributions (x − x')·m, f(x) and f(x'). A feature's attribution
 * is the sum of its elements' contributions; the base value is f(x') and the convergence delta
 * Σφ − (f(x) − f(x')), as Captum's DeepLift reports it. It takes no parameters (pass null).
 */
public final class DeepLiftExplainer implements Explainer<Void> {
    public static final ExplainMethod METHOD = ExplainMethod.onGraph("deep_lift",
            AttributionKind.DEEP_LIFT, ExplainMethod.Reference.BASELINE,
            "deep_lift is a fixed set of gradient passes, not sampling, so it has no"
                    + " estimate before its end", false, true);

    private final int chunkRows;

    public DeepLiftExplainer() {
        this(AttributionRows.CHUNK_ROWS);
    }

    DeepLiftExplainer(int chunkRows) {
        this.chunkRows = chunkRows;
    }

    @Override
    public ExplainMethod method() {
        return METHOD;
    }

    @Override
    public void validate(ExplainInput input, Void params) {
        GradientInput.requireIdentityLink(input);
        GradientInput.requireSingleReference(input, "deep_lift");
    }

    @Override
    public long evaluationsNeeded(ExplainInput input, Void params) {
        return (long) input.instances().rows() * input.outputCount();
    }

    @Override
    public long workingBytes(ExplainInput input, Void params, int outputWidth, boolean timeBudget) {
        return AttributionRows.workingBytes(input, chunkRows, outputWidth);
    }


    @Override
    public List<Explanation> explain(ExplainInput input, Void params, BatchRunner runner, ProgressSink progress,
                                     RequestContext context, TimeBudget budget) {
        GradientInput in = new GradientInput(input, runner, METHOD.graph());
        int d = in.elements;
        List<Explanation> out = new ArrayList<>();
        AttributionRows rows = new AttributionRows(runner, progress, context, chunkRows);
        rows.run(in.instances(), in.outputs(), 1, (i, k, step, dest, at) -> {
            in.writeInstance(i, dest, at);
            in.writeReference(i, 0, dest, at + d);
            in.writeSeed(k, dest, at + 2 * d);
        }, (i, k, step, y, at) -> {
            double[] phi = in.featureSums(y, at);
            double fx = y[at + d];
            double fr = y[at + d + 1];
            double delta = GradientInput.sum(phi) - (fx - fr);
            out.add(new Explanation(i, input.output(k), fr, fx, phi, null, new Diagnostics(in.outputs(), 0, false,
                    in.varyingFeatures(i), rows.elapsedSeconds(), false, null, delta)));
        }, () -> {});
        return out;
    }
}
