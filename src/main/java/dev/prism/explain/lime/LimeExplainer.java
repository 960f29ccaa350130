package dev.prism.explain.lime;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.CoalitionGame;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.ExplainMethod;
import dev.prism.explain.Explainer;
import dev.prism.explain.Explanation;
import dev.prism.explain.ProgressSink;
import dev.prism.explain.RowStream;
import dev.prism.explain.TimeBudget;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.RequestContext;
import dev.prism.tensor.RowBlock;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * LIME (Ribeiro et al. 2016) with lime's semantics and defaults, one local surrogate per instance
 * and requested output: attributions are its coefficients (0 for features it does not use), the
 * base value its intercept, and the diagnostics carry its weighted R² and its prediction at the
 * instance.
 *
 * <ul>
 *   <li>Plain features (singleton groups): lime's LimeTabularExplainer with the background as
 *       training data ({@link TabularLime}); a baseline gives no training data and is refused.</li>
 *   <li>Feature groups: lime's image and text explainers, masking groups with the background or
 *       baseline ({@link MaskedLime}).</li>
 * </ul>
 *
 * <p>Each instance draws from its own stream, seeded by the request's seed and its index.
 */
public final class LimeExplainer implements Explainer<LimeParams> {
    public static final ExplainMethod METHOD = ExplainMethod.onModelRows("lime",
            ExplainMethod.Reference.BACKGROUND_OR_BASELINE, null, false, false, false);

    @Override
    public ExplainMethod method() {
        return METHOD;
    }

    @Override
    public void validate(ExplainInput input, LimeParams params) {
        int n = params.numSamples();
        if (n != 0 && (n < 2 || n > LimeParams.MAX_SAMPLES)) {
            throw invalid("lime.num_samples", "must be 0 (default) or in [2, " + LimeParams.MAX_SAMPLES + "], got "
                    + n);
        }
        if (params.numFeatures() < 0 || params.numFeatures() > LimeParams.MAX_FEATURES) {
            throw invalid("lime.num_features", "must be in [0, " + LimeParams.MAX_FEATURES + "], got "
                    + params.numFeatures());
        }
        if (!(params.kernelWidth() >= 0) || Double.isInfinite(params.kernelWidth())) {
            throw invalid("lime.kernel_width", "must be finite and >= 0, got " + params.kernelWidth());
        }
        int width = input.instances().width();
        for (int c : params.categoricalFeatures()) {
            if (c < 0 || c >= width) {
                throw invalid("lime.categorical_features", "element " + c + " is outside [0, " + width + ")");
            }
        }
        boolean masked = masked(input);
        if (!masked && input.baseline()) {
            throw invalid("baseline", "tabular LIME samples from the background's statistics and a baseline has"
                    + " none: drop the baseline, or give feature_groups to mask features with it");
        }
        if (!masked) {
            requireNoMissingValue(input.instances(), "inputs");
            requireNoMissingValue(input.background().rows(), "background");
        }
        if (params.neighbourhood() != null) {
            validateNeighbourhood(input, params, masked);
        }
    }

    private static void validateNeighbourhood(ExplainInput input, LimeParams params, boolean masked) {
        if (input.instances().rows() != 1) {
            throw invalid("lime.neighbourhood", "an explicit neighbourhood needs a request of exactly one instance");
        }
        RowBlock data = params.neighbourhood().data();
        if (data.rows() < 2 || data.rows() > LimeParams.MAX_SAMPLES) {
            throw invalid("lime.neighbourhood.data", "needs between 2 and " + LimeParams.MAX_SAMPLES
                    + " rows, got " + data.rows());
        }
        double[] x = input.instances().row(0);
        if (masked) {
            requireWidth("lime.neighbourhood.data", data, input.featureCount(), "one column per feature group");
            requireBinary(data, 0, data.width());
            double[] ones = new double[data.width()];
            Arrays.fill(ones, 1);
            requireRow0("lime.neighbourhood.data", data, ones, "all ones (every group kept)");
            return;
        }
        requireWidth("lime.neighbourhood.data", data, x.length, "one column per feature");
        RowBlock inputs = params.neighbourhood().inputs();
        if (inputs == null || inputs.rows() != data.rows()) {
            throw invalid("lime.neighbourhood.inputs", "needs one model input row per data row (" + data.rows() + ")");
        }
        requireWidth("lime.neighbourhood.inputs", inputs, x.length, "one instance per row");
        if (params.discretizer() != LimeParams.Discretizer.NONE) {
            requireBinary(data, 0, data.width());
        } else {
            for (int c : params.categoricalFeatures()) {
                requireBinary(data, c, c + 1);
            }
        }
        requireRow0("lime.neighbourhood.data", data,
                TabularSampler.dataRow0(x, params.categoricalFeatures(), params.discretizer()),
                "the instance's: 1 for discretised and categorical features, the value otherwise");
        requireRow0("lime.neighbourhood.inputs", inputs, x, "the instance");
    }

    /** A tree ensemble takes NaN as a missing value; tabular LIME's statistics have no place for one. */
    private static void requireNoMissingValue(RowBlock rows, String field) {
        for (int i = 0; i < rows.rows(); i++) {
            for (int j = 0; j < rows.width(); j++) {
                if (Double.isNaN(rows.get(i, j))) {
                    throw invalid(field, "row " + i + " column " + j + " is NaN (missing); tabular LIME samples"
                            + " from the background's quartiles, means and deviations, which have no missing value:"
                            + " give feature_groups to mask features with the background, or use a Shapley method");
                }
            }
        }
    }

    private static void requireWidth(String field, RowBlock rows, int width, String what) {
        if (rows.width() != width) {
            throw invalid(field, "needs " + what + " (" + width + " columns), got " + rows.width());
        }
    }

    private static void requireBinary(RowBlock data, int from, int to) {
        for (int i = 0; i < data.rows(); i++) {
            for (int j = from; j < to; j++) {
                double v = data.get(i, j);
                if (v != 0 && v != 1) {
                    throw invalid("lime.neighbourhood.data", "row " + i + " column " + j + " is " + v
                            + "; this column holds 0/1 indicators");
                }
            }
        }
    }

    /** Row 0 must be the instance's row, to numpy's allclose tolerances. */
    private static void requireRow0(String field, RowBlock rows, double[] expected, String what) {
        for (int j = 0; j < expected.length; j++) {
            double v = rows.get(0, j);
            if (!(Math.abs(v - expected[j]) <= 1e-8 + 1e-5 * Math.abs(expected[j]))) {
                throw invalid(field, "row 0 must be " + what + "; column " + j + " is " + v + ", expected "
                        + expected[j]);
            }
        }
    }

    private static PrismException invalid(String field, String description) {
        return PrismException.invalid(Reason.INVALID_PARAMS, field, description);
    }

    @Override
    public long evaluationsNeeded(ExplainInput input, LimeParams params) {
        long n = input.instances().rows();
        if (!masked(input)) {
            return n * params.samples(false);
        }
        long background = input.background().size();
        return n * ((params.samples(true) - 1) * background + 1) + background;
    }

    /**
     * Tabular: the rows in flight and the neighbourhoods of the active instances, which
     * {@link TabularLime} keeps under its footprint bound (one instance is always let in). Images and
     * text: the coalition game's rows and each running plan's masks, weights and labels (every
     * instance's under a time budget, as they take turns).
     */
    @Override
    public long workingBytes(ExplainInput input, LimeParams params, int outputWidth, boolean timeBudget) {
        long m = input.featureCount();
        if (!masked(input)) {
            int width = input.instances().width();
            long samples = params.samples(false);
            long inFlight = RowStream.bytesInFlight(TabularLime.maxRowsInFlight(width), outputWidth, width);
            long oneInstance = samples * (width + input.outputCount() + 1);
            long instances = input.instances().rows();
            // Under a time budget every instance's neighbourhood is held at once (see TabularLime).
            long neighbourhoods = (timeBudget ? instances * oneInstance : Math.max(oneInstance,
                    Math.min(Math.min(instances, TabularLime.MAX_ACTIVE_INSTANCES) * oneInstance,
                            TabularLime.MAX_ACTIVE_FOOTPRINT))) * Double.BYTES;
            return inFlight + neighbourhoods + 2 * m * m * Double.BYTES;
        }
        long samples = params.samples(true);
        long perInstance = samples * (m + 32 + (input.outputCount() + 1L) * Double.BYTES) + 2 * m * m * Double.BYTES;
        return timeBudget ? CoalitionGame.workingBytesInTurns(input, outputWidth, perInstance)
                : CoalitionGame.workingBytes(input, outputWidth, samples, perInstance);
    }


    /** Under a time budget the surrogates are fitted on the samples evaluated when it runs out. */
    @Override
    public List<Explanation> explain(ExplainInput input, LimeParams params, BatchRunner runner,
                                     ProgressSink progress, RequestContext context, TimeBudget budget) {
        return masked(input) ? new MaskedLime(input, params, runner, progress, context, budget).run()
                : new TabularLime(input, params, runner, progress, context, budget).run();
    }

    /** Feature groups (images, text, explicit groups) mask; plain features sample as tabular data. */
    private static boolean masked(ExplainInput input) {
        return !input.groups().isSingletons();
    }

    /** The random stream of one instance. */
    static SplittableRandom random(long seed, int instance) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + instance);
    }
}
