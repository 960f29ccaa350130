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
 * Saliency as Captum's Saliency(abs=True): |∇f(x)|, one gradient row per instance and output; a
 * feature's value is the sum of its elements' |gradient|. Saliency compares with no reference
 * input, so the base value is NaN (0 would read as a real output), and there is no convergence
 * delta. It takes no parameters (pass null).
 */
public final class SaliencyExplainer implements Explainer<Void> {
    public static final ExplainMethod METHOD = ExplainMethod.onGraph("saliency",
            AttributionKind.GRADIENT, ExplainMethod.Reference.NONE,
            "saliency is a fixed set of gradient passes, not sampling, so it has no estimate"
                    + " before its end", false, false);

    private final int chunkRows;

    public SaliencyExplainer() {
        this(AttributionRows.CHUNK_ROWS);
    }

    SaliencyExplainer(int chunkRows) {
        this.chunkRows = chunkRows;
    }

    @Override
    public ExplainMethod method() {
        return METHOD;
    }

    @Override
    public void validate(ExplainInput input, Void params) {
        GradientInput.requireIdentityLink(input);
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
        double[] magnitude = new double[d];
        rows.run(in.instances(), in.outputs(), 1, (i, k, s, dest, at) -> {
            in.writeInstance(i, dest, at);
            in.writeSeed(k, dest, at + d);
        }, (i, k, s, y, at) -> {
            for (int e = 0; e < d; e++) {
                magnitude[e] = Math.abs(y[at + e]);
            }
            out.add(new Explanation(i, input.output(k), Double.NaN, y[at + d], in.featureSums(magnitude, 0), null,
                    new Diagnostics(in.outputs(), 0, false, input.featureCount(), rows.elapsedSeconds(), false,
                            null, null)));
        }, () -> {});
        return out;
    }
}
