package dev.prism.explain.gradient;

import dev.prism.explain.Diagnostics;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.ExplainMethod;
import dev.prism.explain.Explainer;
import dev.prism.explain.Explanation;
import dev.prism.explain.ProgressSink;
import dev.prism.explain.TimeBudget;
import dev.prism.model.AttributionKind;
import dev.prism.model.Background;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.RequestContext;
import java.util.ArrayList;
import java.util.List;

/**
 * DeepLiftShap (Captum) / DeepSHAP: DeepLIFT of each instance against every background row b, one
 * graph row per (instance, output, b), averaged with the background weights: φ = Σ_b π_b φ_b, base
 * value Σ_b π_b f(b). The standard errors are those of that weighted mean over the rows,
 * √(n/(n − 1) · Σ_b π_b² (φ_b − φ)²) for n rows of positive weight; with a single row there is
 * nothing to estimate and none are given. The convergence delta is taken on the averages. Running
 * estimates stream as an instance's background rows come back. It takes no parameters (pass null).
 */
public final class DeepLiftShapExplainer implements Explainer<Void> {
    public static final ExplainMethod METHOD = ExplainMethod.onGraph("deep_lift_shap",
            AttributionKind.DEEP_LIFT, ExplainMethod.Reference.BACKGROUND,
            "deep_lift_shap is a fixed set of gradient passes, not sampling, so it has no"
                    + " estimate before its end", true, true);

    private final int chunkRows;

    public DeepLiftShapExplainer() {
        this(AttributionRows.CHUNK_ROWS);
    }

    DeepLiftShapExplainer(int chunkRows) {
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
        return (long) input.instances().rows() * input.outputCount() * input.background().size();
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
        AttributionRows rows = new AttributionRows(runner, progress, context, chunkRows);
        Averages averages = new Averages(in, rows, progress);
        rows.run(in.instances(), in.outputs(), input.background().size(), (i, k, b, dest, at) -> {
            in.writeInstance(i, dest, at);
            in.writeReference(i, b, dest, at + d);
            in.writeSeed(k, dest, at + 2 * d);
        }, averages, averages::report);
        return averages.explanations;
    }

    /** Folds each (instance, output)'s rows into its weighted mean as they are read. */
    private static final class Averages implements AttributionRows.Reader {
        final GradientInput in;
        final AttributionRows rows;
        final ProgressSink progress;
        final Background background;
        final List<Explanation> explanations = new ArrayList<>();
        WeightedMean current;
        int instance;
        int output;

        Averages(GradientInput in, AttributionRows rows, ProgressSink progress) {
            this.in = in;
            this.rows = rows;
            this.progress = progress;
            this.background = in.input.background();
        }

        @Override
        public void read(int i, int k, int b, double[] y, int at) {
            int d = in.elements;
            if (b == 0) {
                current = new WeightedMean(in.input.featureCount());
                instance = i;
                output = in.input.output(k);
            }
            current.add(background.weight(b), in.featureSums(y, at), y[at + d + 1]);
            if (b == background.size() - 1) {
                double fx = y[at + d];
                double[] phi = current.mean();
                double base = current.baseValue();
                double delta = GradientInput.sum(phi) - (fx - base);
                explanations.add(new Explanation(i, output, base, fx, phi, current.standardErrors(),
                        new Diagnostics((long) in.outputs() * background.size(), 0, false, in.varyingFeatures(i),
                                rows.elapsedSeconds(), false, null, delta)));
                current = null;
            }
        }

        /** After a chunk: the estimate of the (instance, output) whose rows are partly back. */
        void report() {
            if (current != null && current.rows >= 2 && progress.wantsEstimates()) {
                progress.estimate(instance, output, current.mean(), current.standardErrors());
            }
        }
    }

    /**
     * The weighted mean of per-row attributions and its standard error, accumulated row by row.
     * Second moments are taken about the first row's values, which keeps the cancellation in
     * Σπ²(φ − μ)² small when the rows agree.
     */
    private static final class WeightedMean {
        final double[] sum;
        final double[] shift;
        final double[] shiftedSum;
        final double[] shiftedSquares;
        double weights;
        double squaredWeights;
        double base;
        int rows;

        WeightedMean(int features) {
            sum = new double[features];
            shift = new double[features];
            shiftedSum = new double[features];
            shiftedSquares = new double[features];
        }

        void add(double w, double[] phi, double reference) {
            if (weights == 0) {
                System.arraycopy(phi, 0, shift, 0, phi.length);
            }
            base += w * reference;
            weights += w;
            squaredWeights += w * w;
            rows += w > 0 ? 1 : 0;
            for (int f = 0; f < phi.length; f++) {
                sum[f] += w * phi[f];
                double delta = phi[f] - shift[f];
                shiftedSum[f] += w * w * delta;
                shiftedSquares[f] += w * w * delta * delta;
            }
        }

        /** Σπφ / Σπ over the rows so far. */
        double[] mean() {
            double[] m = new double[sum.length];
            for (int f = 0; f < m.length; f++) {
                m[f] = sum[f] / weights;
            }
            return m;
        }

        double baseValue() {
            return base / weights;
        }

        /** √(n/(n − 1) · Σ π̃² (φ − μ)²) with π̃ = π / Σπ; null for fewer than two rows. */
        double[] standardErrors() {
            if (rows < 2) {
                return null;
            }
            double[] se = new double[sum.length];
            for (int f = 0; f < se.length; f++) {
                double m = sum[f] / weights - shift[f];
                double q = shiftedSquares[f] - 2 * m * shiftedSum[f] + m * m * squaredWeights;
                se[f] = Math.sqrt(Math.max(0, q) / (weights * weights) * rows / (rows - 1));
            }
            return se;
        }
    }
}
