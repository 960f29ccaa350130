package dev.prism.server;

import dev.prism.api.v1.Baseline;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.Tensor;
import dev.prism.error.FieldViolation;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.ExplainMethod;
import dev.prism.model.Background;
import dev.prism.model.ModelSignature;
import dev.prism.tensor.RowBlock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The reference input of a request: background rows or a baseline row, as the method's declared
 * {@link ExplainMethod.Reference} allows, with the request's k-means summary of its background.
 */
final class ReferenceCodec {
    static final int MAX_KMEANS = 1000;

    /**
     * @param baseline the rows are one baseline row that replaces masked features
     * @param kmeans   the rows k-means summarises the background to before the method runs, or 0
     */
    record Reference(Background rows, boolean baseline, int kmeans) {}

    private final RequestLimits limits;

    ReferenceCodec(RequestLimits limits) {
        this.limits = limits;
    }

    Reference decode(ExplainRequest request, ServedModel model, ExplainMethod method) {
        return switch (method.reference()) {
            case BACKGROUND_OR_BASELINE -> {
                if (request.hasBaseline()) {
                    Background baseline = decodeBaseline(request.getBaseline(), model.signature());
                    requireNoKmeans(request);
                    yield new Reference(baseline, true, 0);
                }
                yield background(request, model);
            }
            case BACKGROUND -> {
                if (request.hasBaseline()) {
                    throw PrismException.invalid(Reason.INVALID_PARAMS, "baseline", method.name() + " averages over"
                            + " background rows, so it takes a background, not a baseline; "
                            + names(ExplainMethod.Reference.BASELINE) + " take a baseline");
                }
                yield background(request, model);
            }
            case BASELINE, NONE -> new Reference(singleRow(request, model, method), true, 0);
        };
    }

    private Reference background(ExplainRequest request, ServedModel model) {
        Background rows = decodeBackground(request, model);
        int k = request.getBackgroundKmeans();
        if (k < 0 || k > MAX_KMEANS || k > rows.size()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "background_kmeans", "must be in [0, "
                    + Math.min(MAX_KMEANS, rows.size()) + "] (at most the background's rows), got " + k);
        }
        return new Reference(rows, false, k);
    }

    private static void requireNoKmeans(ExplainRequest request) {
        if (request.getBackgroundKmeans() != 0) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "background_kmeans",
                    "summarises a background; this request masks with a baseline");
        }
    }

    /**
     * The one reference row of a method that takes a baseline: the request's, else the model's
     * configured one, else zeros (as Captum). A method that takes none gets zeros, never evaluated.
     */
    private static Background singleRow(ExplainRequest request, ServedModel model, ExplainMethod method) {
        boolean none = method.reference() == ExplainMethod.Reference.NONE;
        String takes = none ? method.name() + " takes no reference input"
                : method.name() + " compares with one reference input, the baseline";
        if (request.hasBackground() || request.getBackgroundWeightsCount() > 0 || request.getBackgroundKmeans() != 0) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, request.hasBackground() ? "background"
                    : request.getBackgroundWeightsCount() > 0 ? "background_weights" : "background_kmeans",
                    takes + "; background rows are for " + names(ExplainMethod.Reference.BACKGROUND,
                            ExplainMethod.Reference.BACKGROUND_OR_BASELINE));
        }
        int width = model.signature().featureCount();
        if (request.hasBaseline()) {
            if (request.getBaseline().hasMaskTokenId() && method.runsOnGraph()) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, "baseline.mask_token_id", "a token id is not a"
                        + " reference input for gradients; give a constant or values");
            }
            if (none) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, "baseline", takes);
            }
            return decodeBaseline(request.getBaseline(), model.signature());
        }
        double[] row = none ? new double[width] : model.entry().defaultBaseline().orElseGet(() -> new double[width]);
        return Background.uniform(new RowBlock(1, width, row));
    }

    /** The methods whose reference is one of these, for messages: e.g. "deep_lift, integrated_gradients". */
    private static String names(ExplainMethod.Reference... references) {
        List<ExplainMethod.Reference> wanted = Arrays.asList(references);
        return MethodTable.entries().stream().filter(e -> wanted.contains(e.method().reference()))
                .map(MethodTable.Entry::name).collect(Collectors.joining(", "));
    }

    private Background decodeBackground(ExplainRequest request, ServedModel model) {
        if (!request.hasBackground()) {
            if (request.getBackgroundWeightsCount() > 0) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, "background_weights",
                        "given without a background");
            }
            return model.entry().defaultBackground().orElseThrow(() -> PrismException.invalid(
                    Reason.BACKGROUND_REQUIRED, "background", "model '" + model.name()
                            + "' has no default background; send background rows"));
        }
        List<FieldViolation> violations = new ArrayList<>();
        RowBlock rows = TensorCodec.decode(request.getBackground(), model.signature().explainedInput(),
                TensorCodec.takesMissingValues(model.entry().model()), "background", violations);
        if (rows == null) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, violations);
        }
        if (rows.rows() > limits.maxBackgroundRows()) {
            throw ExplainRequestCodec.overLimit("background.shape[0]", rows.rows() + " background rows",
                    "max_background_rows", limits.maxBackgroundRows(), "summarise the background first (background_kmeans)");
        }
        if (request.getBackgroundWeightsCount() == 0) {
            return Background.uniform(rows);
        }
        if (request.getBackgroundWeightsCount() != rows.rows()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "background_weights", "needs one weight per "
                    + "background row (" + rows.rows() + "), got " + request.getBackgroundWeightsCount());
        }
        double[] w = request.getBackgroundWeightsList().stream().mapToDouble(Double::doubleValue).toArray();
        double sum = 0;
        for (int i = 0; i < w.length; i++) {
            if (!Double.isFinite(w[i]) || w[i] < 0) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, "background_weights[" + i + "]",
                        "must be finite and >= 0, got " + w[i]);
            }
            sum += w[i];
        }
        if (sum <= 0) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "background_weights", "must not all be zero");
        }
        return new Background(rows, w);
    }

    /** A baseline as a single replacement row, each value checked in the type of the model's input. */
    private static Background decodeBaseline(Baseline baseline, ModelSignature sig) {
        int width = sig.featureCount();
        double[] row = new double[width];
        switch (baseline.getValueCase()) {
            case CONSTANT -> Arrays.fill(row, baselineValue(baseline.getConstant(), sig, "baseline.constant"));
            case MASK_TOKEN_ID -> Arrays.fill(row, baselineValue(baseline.getMaskTokenId(), sig, "baseline.mask_token_id"));
            case VALUES -> {
                Tensor t = baseline.getValues();
                Tensor batched = t.getShapeCount() == sig.explainedInput().shape().length - 1
                        ? t.toBuilder().clearShape().addShape(1).addAllShape(t.getShapeList()).build() : t;
                List<FieldViolation> violations = new ArrayList<>();
                RowBlock rows = TensorCodec.decode(batched, sig.explainedInput(), false, "baseline.values",
                        violations);
                if (rows == null) {
                    throw PrismException.invalid(Reason.INVALID_TENSOR, violations);
                }
                if (rows.rows() != 1) {
                    throw PrismException.invalid(Reason.INVALID_TENSOR, "baseline.values.shape",
                            "must hold one instance, got " + rows.rows());
                }
                row = rows.row(0);
            }
            case VALUE_NOT_SET -> throw PrismException.invalid(Reason.INVALID_PARAMS, "baseline",
                    "set one of constant, values, mask_token_id");
        }
        return Background.uniform(new RowBlock(1, width, row));
    }

    /** A baseline's single value, or INVALID_PARAMS when the model's input cannot hold it. */
    private static double baselineValue(double v, ModelSignature sig, String field) {
        String unfit = TensorCodec.unfit(v, sig.explainedInput());
        if (unfit != null) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, field, unfit);
        }
        return v;
    }
}
