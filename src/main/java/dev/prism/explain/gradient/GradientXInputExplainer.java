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
 * Gradient × input: φ = (x − x') ⊙ ∇f(x), with x' the request's baseline; at the default zero
 * baseline this is Captum's InputXGradient. Each instance and output takes a gradient row at x and
 * one at x' for f(x'), the base value; the convergence delta is Σφ − (f(x) − f(x')). It takes no
 * parameters (pass null).
 */
public final class GradientXInputExplainer implements Explainer<Void> {
    public static final ExplainMethod METHOD = ExplainMethod.onGraph("gradient_x_input",
            AttributionKind.GRADIENT, ExplainMethod.Reference.BASELINE,
            "gradient_x_input is a fixed set of gradient passes, not sampling, so it has no"
                    + " estimate before its end", false, false);

    private final int chunkRows;

    public GradientXInputExplainer() {
        this(AttributionRows.CHUNK_ROWS);
    }

    GradientXInputExplainer(int chunkRows) {
        this.chunkRows = chunkRows;
    }

    @Override
    public ExplainMethod method() {
        return METHOD;
    }

    @Override
    public void validate(ExplainInput input, Void params) {
        GradientInput.requireIdentityLink(input);
        GradientInput.requireSingleReference(input, "gradient_x_input");
    }

    @Override
    public long evaluationsNeeded(ExplainInput input, Void params) {
        return 2L * input.instances().rows() * input.outputCount();
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
        double[] scaled = new double[d];
        double[] fx = new double[1];
        rows.run(in.instances(), in.outputs(), 2, (i, k, s, dest, at) -> {
            if (s == 0) {
                in.writeInstance(i, dest, at);
            } else {
                in.writeReference(i, 0, dest, at);
            }
            in.writeSeed(k, dest, at + d);
        }, (i, k, s, y, at) -> {
            if (s == 0) {
                for (int e = 0; e < d; e++) {
                    scaled[e] = (in.x(i, e) - in.reference(i, 0, e)) * y[at + e];
                }
                fx[0] = y[at + d];
                return;
            }
            double fr = y[at + d];
            double[] phi = in.featureSums(scaled, 0);
            double delta = GradientInput.sum(phi) - (fx[0] - fr);
            out.add(new Explanation(i, input.output(k), fr, fx[0], phi, null, new Diagnostics(2L * in.outputs(), 0,
                    false, in.varyingFeatures(i), rows.elapsedSeconds(), false, null, delta)));
        }, () -> {});
        return out;
    }
}
