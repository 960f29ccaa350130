package dev.prism.explain.gradient;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
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
import java.util.Arrays;
import java.util.List;

/**
 * Integrated Gradients as Captum's IntegratedGradients: φ = (x − x') ⊙ Σ_s w_s ∇f(x' + α_s(x − x')),
 * with the points α_s and step sizes w_s of the chosen {@link IntegrationMethod}. Each instance and
 * output takes one gradient row per point, then one at x and one at x' for f(x) and f(x'): the
 * base value is f(x') and the convergence delta Σφ − (f(x) − f(x')).
 */
public final class IntegratedGradientsExplainer implements Explainer<IntegratedGradientsParams> {
    public static final ExplainMethod METHOD = ExplainMethod.onGraph("integrated_gradients",
            AttributionKind.GRADIENT, ExplainMethod.Reference.BASELINE,
            "integrated_gradients is a fixed set of gradient passes, not sampling, so it has"
                    + " no estimate before its end", false, true);

    private final int chunkRows;

    public IntegratedGradientsExplainer() {
        this(AttributionRows.CHUNK_ROWS);
    }

    IntegratedGradientsExplainer(int chunkRows) {
        this.chunkRows = chunkRows;
    }

    @Override
    public ExplainMethod method() {
        return METHOD;
    }

    @Override
    public void validate(ExplainInput input, IntegratedGradientsParams params) {
        int n = params.steps();
        if (n < 0 || n > IntegratedGradientsParams.MAX_STEPS) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "integrated_gradients.n_steps",
                    "must be in [0, " + IntegratedGradientsParams.MAX_STEPS + "] (0 = "
                            + IntegratedGradientsParams.DEFAULT_STEPS + "), got " + n);
        }
        if (params.effectiveSteps() < params.method().minSteps()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "integrated_gradients.n_steps",
                    "the Riemann rules need at least 2 points, got " + n);
        }
        GradientInput.requireIdentityLink(input);
        GradientInput.requireSingleReference(input, "integrated_gradients");
    }

    @Override
    public long evaluationsNeeded(ExplainInput input, IntegratedGradientsParams params) {
        return (long) input.instances().rows() * input.outputCount() * (params.effectiveSteps() + 2);
    }

    @Override
    public long workingBytes(ExplainInput input, IntegratedGradientsParams params, int outputWidth, boolean timeBudget) {
        return AttributionRows.workingBytes(input, chunkRows, outputWidth);
    }


    @Override
    public List<Explanation> explain(ExplainInput input, IntegratedGradientsParams params, BatchRunner runner,
                                     ProgressSink progress, RequestContext context, TimeBudget budget) {
        GradientInput in = new GradientInput(input, runner, METHOD.graph());
        int d = in.elements;
        int n = params.effectiveSteps();
        IntegrationMethod.Quadrature rule = params.method().quadrature(n);
        double[] alphas = rule.alphas();
        double[] stepSizes = rule.stepSizes();
        List<Explanation> out = new ArrayList<>();
        AttributionRows rows = new AttributionRows(runner, progress, context, chunkRows);
        double[] integral = new double[d];
        double[] fx = new double[1];
        rows.run(in.instances(), in.outputs(), n + 2, (i, k, s, dest, at) -> {
            if (s < n) {
                double alpha = alphas[s];
                for (int e = 0; e < d; e++) {
                    double reference = in.reference(i, 0, e);
                    dest[at + e] = reference + alpha * (in.x(i, e) - reference);
                }
            } else if (s == n) {
                in.writeInstance(i, dest, at);
            } else {
                in.writeReference(i, 0, dest, at);
            }
            in.writeSeed(k, dest, at + d);
        }, (i, k, s, y, at) -> {
            if (s == 0) {
                Arrays.fill(integral, 0.0);
            }
            if (s < n) {
                for (int e = 0; e < d; e++) {
                    integral[e] += stepSizes[s] * y[at + e];
                }
            } else if (s == n) {
                fx[0] = y[at + d];
            } else {
                double fr = y[at + d];
                double[] scaled = new double[d];
                for (int e = 0; e < d; e++) {
                    scaled[e] = (in.x(i, e) - in.reference(i, 0, e)) * integral[e];
                }
                double[] phi = in.featureSums(scaled, 0);
                double delta = GradientInput.sum(phi) - (fx[0] - fr);
                out.add(new Explanation(i, input.output(k), fr, fx[0], phi, null,
                        new Diagnostics((long) in.outputs() * (n + 2), 0, false, in.varyingFeatures(i),
                                rows.elapsedSeconds(), false, null, delta)));
            }
        }, () -> {});
        return out;
    }
}
