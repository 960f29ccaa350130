package dev.prism.server;

import dev.prism.api.v1.Baseline;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.GradientTarget;
import dev.prism.api.v1.L1Reg;
import dev.prism.api.v1.Tensor;
import dev.prism.batch.BatchScheduler;
import dev.prism.error.ClientText;
import dev.prism.error.FieldViolation;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.BackgroundSummary;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.FeatureGroups;
import dev.prism.explain.Link;
import dev.prism.explain.gradient.IntegratedGradientsParams;
import dev.prism.explain.gradient.IntegrationMethod;
import dev.prism.explain.lime.LimeExplainer;
import dev.prism.explain.lime.LimeParams;
import dev.prism.explain.shap.AutoShapleyExplainer;
import dev.prism.explain.shap.ExactShapleyExplainer;
import dev.prism.explain.shap.ExactShapleyParams;
import dev.prism.explain.shap.KernelShapExplainer;
import dev.prism.explain.shap.KernelShapParams;
import dev.prism.explain.shap.L1Rule;
import dev.prism.explain.shap.PermutationShapExplainer;
import dev.prism.explain.shap.PermutationShapParams;
import dev.prism.model.Background;
import dev.prism.model.ModelSignature;
import dev.prism.model.OutputKind;
import dev.prism.runner.RequestContext;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.TensorSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Turns an {@link ExplainRequest} into validated core input and a bound method, or fails with field violations. */
final class ExplainRequestCodec {

    private final ServedModels models;
    private final RequestLimits limits;
    static final int MAX_KMEANS = 1000;
    static final Duration MAX_TIME_BUDGET = Duration.ofHours(1);

    private final KernelShapExplainer kernelShap = new KernelShapExplainer();
    private final ExactShapleyExplainer exactShapley = new ExactShapleyExplainer();
    private final PermutationShapExplainer permutationShap = new PermutationShapExplainer();
    private final AutoShapleyExplainer auto = new AutoShapleyExplainer();
    private final LimeExplainer lime = new LimeExplainer();

    ExplainRequestCodec(ServedModels models, RequestLimits limits) {
        this.models = models;
        this.limits = limits;
    }

    /**
     * A request ready to run.
     *
     * @param scheduler the scheduler its rows go through: the model's, or a gradient method's graph's
     * @param compact    answer with the summary's tensors only
     * @param timeBudget the best answer within this time, or null
     * @param kmeans     the background rows k-means summarises {@code input}'s background to before the
     *                   method runs ({@link #summarise}), or 0
     */
    record Prepared(ServedModel model, ExplainInput input, MethodCall<?> method, BatchScheduler scheduler,
                    boolean compact, Duration timeBudget, int kmeans) {
        /** Background rows the method will play with. */
        int backgroundRows() {
            return kmeans > 0 ? kmeans : input.background().size();
        }
    }

    /** The request's model version stays open until its context ends (see {@link ServedModels#acquire}). */
    Prepared prepare(ExplainRequest request, RequestContext context) {
        Duration timeBudget = timeBudget(request);
        ServedModel model = models.acquire(request.getModel(), "model", context);
        ModelSignature sig = model.signature();
        GradientMethod gradient = gradientMethod(request.getMethodCase());
        BatchScheduler scheduler = gradient == null ? model.scheduler() : graphScheduler(request, model, gradient);

        checkSamples(request);
        RowBlock instances = decodeInputs(request.getInputsList(), sig, "inputs");
        if (instances.rows() > limits.maxInstances()) {
            throw overLimit("inputs", instances.rows() + " instances", "max_instances", limits.maxInstances(),
                    "send them in several requests");
        }
        FeatureGroups groups = FeatureGroupsCodec.decode(request.getFeatureGroups(), sig);
        if (gradient == null && groups.count() > limits.maxFeatures()) {
            throw overLimit(request.hasFeatureGroups() ? "feature_groups" : "inputs",
                    groups.count() + " features", "max_features", limits.maxFeatures(),
                    "group features with feature_groups, or use a gradient method");
        }
        boolean baseline;
        Background background;
        int kmeans = 0;
        if (gradient == null || gradient == GradientMethod.DEEP_LIFT_SHAP) {
            baseline = request.hasBaseline();
            if (baseline && gradient != null) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, "baseline", "deep_lift_shap averages over"
                        + " background rows, so it takes a background, not a baseline; deep_lift takes a baseline");
            }
            background = baseline ? decodeBaseline(request.getBaseline(), sig) : decodeBackground(request, model);
            kmeans = kmeansRows(request, background, baseline);
        } else {
            baseline = true;
            background = reference(request, model, gradient);
        }
        int[] outputs = outputs(request.getOutputsList(), sig);
        Link link = link(request, sig);
        ExplainInput input = new ExplainInput(instances, background, baseline, groups, outputs, link,
                request.getSeed());
        boolean compact = switch (request.getFormat()) {
            case FORMAT_PER_EXPLANATION -> false;
            case FORMAT_COMPACT -> true;
            case UNRECOGNIZED -> throw PrismException.invalid(Reason.INVALID_PARAMS, "format",
                    "unknown format " + request.getFormatValue());
        };

        MethodCall<?> method = method(request, input, model);
        method.validate(input);
        // Evaluations grow with the background the method plays with: k rows after k-means.
        long needed = method.evaluationsNeeded(kmeans == 0 ? input : withBackground(input,
                Background.uniform(background.rows().slice(0, kmeans))));
        if (needed > limits.maxEvaluations()) {
            throw overLimit("inputs", "about " + needed + " model evaluations", "max_evaluations",
                    limits.maxEvaluations(), "send fewer instances, a smaller background or fewer samples");
        }
        return new Prepared(model, input, method, scheduler, compact, timeBudget, kmeans);
    }

    /**
     * The input the method runs on: the prepared one, its background summarised by k-means when the
     * request asks for it. Runs after admission, on the explain pool, and stops when the request is
     * cancelled.
     */
    ExplainInput summarise(Prepared prepared, RequestContext context) {
        if (prepared.kmeans() == 0) {
            return prepared.input();
        }
        ExplainInput input = prepared.input();
        ExplainInput summarised = withBackground(input,
                BackgroundSummary.kmeans(input.background(), prepared.kmeans(), input.seed(), context));
        prepared.method().validate(summarised);
        return summarised;
    }

    private static ExplainInput withBackground(ExplainInput input, Background background) {
        return new ExplainInput(input.instances(), background, input.baseline(), input.groups(), input.outputs(),
                input.link(), input.seed());
    }

    /** The request's time budget, or null: kernel_shap's anytime answer; refused up front for other methods. */
    private static Duration timeBudget(ExplainRequest r) {
        if (!r.hasTimeBudget()) {
            return null;
        }
        com.google.protobuf.Duration d = r.getTimeBudget();
        if (d.getSeconds() < 0 || d.getNanos() < 0 || d.getNanos() > 999_999_999 || (d.getSeconds() == 0 && d.getNanos() == 0)
                || d.getSeconds() > MAX_TIME_BUDGET.getSeconds()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "time_budget", "must be positive and at most "
                    + MAX_TIME_BUDGET.toMinutes() + " minutes, got " + d.getSeconds() + " s " + d.getNanos() + " ns");
        }
        String method = r.getMethodCase().name().toLowerCase(java.util.Locale.ROOT);
        String without = switch (r.getMethodCase()) {
            case KERNEL_SHAP -> r.getKernelShap().hasL1Reg()
                    ? "kernel_shap with l1_reg selects features from every sample, so it has no answer before its end"
                    : null;
            case LIME -> "lime fits its surrogate to all its samples at once, so it has no answer before its end";
            case EXACT_SHAPLEY, PERMUTATION_SHAP -> method + " has no estimate before its end";
            case DEEP_LIFT, DEEP_LIFT_SHAP, INTEGRATED_GRADIENTS, GRADIENT_X_INPUT, SALIENCY -> method
                    + " is a fixed set of gradient passes, not sampling, so it has no estimate before its end";
            case METHOD_NOT_SET, AUTO -> "the automatic choice of method has no anytime answer; name kernel_shap";
        };
        if (without != null) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "time_budget", without + ". Only kernel_shap"
                    + " (without l1_reg) answers within a time budget; bound any method with the gRPC deadline");
        }
        return Duration.ofSeconds(d.getSeconds(), d.getNanos());
    }

    /** The sample budgets a request names, each against max_samples. */
    private void checkSamples(ExplainRequest r) {
        switch (r.getMethodCase()) {
            case KERNEL_SHAP -> checkSamples("kernel_shap.nsamples", r.getKernelShap().getNsamples());
            case LIME -> checkSamples("lime.num_samples", r.getLime().getNumSamples());
            case PERMUTATION_SHAP -> {
                checkSamples("permutation_shap.max_evals", r.getPermutationShap().getMaxEvals());
                checkSamples("permutation_shap.npermutations", r.getPermutationShap().getNpermutations());
            }
            case INTEGRATED_GRADIENTS -> checkSamples("integrated_gradients.n_steps",
                    r.getIntegratedGradients().getNSteps());
            default -> { }
        }
    }

    private void checkSamples(String field, long value) {
        if (value > limits.maxSamples()) {
            throw overLimit(field, String.valueOf(value), "max_samples", limits.maxSamples(), "ask for fewer");
        }
    }

    /** INVALID_ARGUMENT, reason BUDGET_EXCEEDED, naming the server's limit and its value. */
    private static PrismException overLimit(String field, String asked, String limit, long value, String advice) {
        return PrismException.invalid(Reason.BUDGET_EXCEEDED, field, asked + " is more than this server's limit "
                + limit + " = " + value + "; " + advice);
    }

    private static GradientMethod gradientMethod(ExplainRequest.MethodCase method) {
        return switch (method) {
            case DEEP_LIFT -> GradientMethod.DEEP_LIFT;
            case DEEP_LIFT_SHAP -> GradientMethod.DEEP_LIFT_SHAP;
            case INTEGRATED_GRADIENTS -> GradientMethod.INTEGRATED_GRADIENTS;
            case GRADIENT_X_INPUT -> GradientMethod.GRADIENT_X_INPUT;
            case SALIENCY -> GradientMethod.SALIENCY;
            case KERNEL_SHAP, LIME, EXACT_SHAPLEY, PERMUTATION_SHAP, AUTO, METHOD_NOT_SET -> null;
        };
    }

    /**
     * The scheduler of the graph a gradient method runs on: INVALID_ARGUMENT for an integer input or
     * logits the model does not have, FAILED_PRECONDITION when the graph compiler has no rule for
     * one of the model's operators.
     */
    private static BatchScheduler graphScheduler(ExplainRequest request, ServedModel model, GradientMethod m) {
        TensorSpec input = model.signature().explainedInput();
        if (!input.dtype().isFloating()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, m.field(), "gradient methods need a"
                    + " floating-point input; '" + input.name() + "' is " + input.dtype());
        }
        // The raw number: an unknown enum value has none to report once read as UNRECOGNIZED.
        int targetNumber = switch (m) {
            case DEEP_LIFT -> request.getDeepLift().getTargetValue();
            case DEEP_LIFT_SHAP -> request.getDeepLiftShap().getTargetValue();
            case INTEGRATED_GRADIENTS -> request.getIntegratedGradients().getTargetValue();
            case GRADIENT_X_INPUT -> request.getGradientXInput().getTargetValue();
            case SALIENCY -> request.getSaliency().getTargetValue();
        };
        String field = m.field() + ".target";
        GradientTarget target = GradientTarget.forNumber(targetNumber);
        if (target == null) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, field, "unknown target " + targetNumber);
        }
        boolean logits = target == GradientTarget.GRADIENT_TARGET_LOGITS;
        if (model.unsupported(m.kind()).isEmpty() && logits && !model.hasLogits()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, field, "GRADIENT_TARGET_LOGITS needs a score output"
                    + " produced by a final Softmax; model '" + model.name() + "' has none");
        }
        return model.scheduler(new ServedModel.Graph(m.kind(), logits), m.field());
    }

    /**
     * The reference input of a gradient method: the request's baseline, else the model's configured
     * one, else zeros (as Captum). Saliency has none: its row is never evaluated.
     */
    private static Background reference(ExplainRequest request, ServedModel model, GradientMethod m) {
        boolean saliency = m == GradientMethod.SALIENCY;
        String takes = saliency ? "saliency takes no reference input"
                : m.field() + " compares with one reference input, the baseline";
        if (request.hasBackground() || request.getBackgroundWeightsCount() > 0 || request.getBackgroundKmeans() != 0) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, request.hasBackground() ? "background"
                    : request.getBackgroundWeightsCount() > 0 ? "background_weights" : "background_kmeans",
                    takes + "; background rows are for deep_lift_shap");
        }
        int width = model.signature().featureCount();
        if (request.hasBaseline()) {
            if (request.getBaseline().hasMaskTokenId()) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, "baseline.mask_token_id", "a token id is not a"
                        + " reference input for gradients; give a constant or values");
            }
            if (saliency) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, "baseline", takes);
            }
            return decodeBaseline(request.getBaseline(), model.signature());
        }
        double[] row = saliency ? new double[width] : model.entry().defaultBaseline().orElseGet(() -> new double[width]);
        return Background.uniform(new RowBlock(1, width, row));
    }

    /** The instances of the model's explained input, from the request's single input tensor. */
    static RowBlock decodeInputs(List<Tensor> tensors, ModelSignature sig, String field) {
        if (tensors.size() != 1) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, field, "needs exactly one tensor for input '"
                    + sig.explainedInput().name() + "', got " + tensors.size());
        }
        Tensor t = tensors.get(0);
        String at = field + "[0]";
        if (!t.getName().isEmpty() && !t.getName().equals(sig.explainedInput().name())) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, at + ".name", "the model has no input "
                    + ClientText.quote(t.getName()) + "; its input is '" + sig.explainedInput().name() + "'");
        }
        List<FieldViolation> violations = new ArrayList<>();
        RowBlock rows = TensorCodec.decode(t, sig.explainedInput(), at, violations);
        if (rows == null) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, violations);
        }
        return rows;
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
                "background", violations);
        if (rows == null) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, violations);
        }
        if (rows.rows() > limits.maxBackgroundRows()) {
            throw overLimit("background.shape[0]", rows.rows() + " background rows", "max_background_rows",
                    limits.maxBackgroundRows(), "summarise the background first (background_kmeans)");
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

    /** The rows k-means will summarise the background to when the request asks for it (shap.kmeans), or 0. */
    private static int kmeansRows(ExplainRequest request, Background background, boolean baseline) {
        int k = request.getBackgroundKmeans();
        if (k == 0) {
            return 0;
        }
        if (baseline) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "background_kmeans",
                    "summarises a background; this request masks with a baseline");
        }
        if (k < 0 || k > MAX_KMEANS || k > background.size()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "background_kmeans", "must be in [0, "
                    + Math.min(MAX_KMEANS, background.size()) + "] (at most the background's rows), got " + k);
        }
        return k;
    }

    /** A baseline as a single replacement row, each value checked in the type of the model's input. */
    private static Background decodeBaseline(Baseline baseline, ModelSignature sig) {
        int width = sig.featureCount();
        double[] row = new double[width];
        switch (baseline.getValueCase()) {
            case CONSTANT -> java.util.Arrays.fill(row, baselineValue(baseline.getConstant(), sig, "baseline.constant"));
            case MASK_TOKEN_ID -> java.util.Arrays.fill(row,
                    baselineValue(baseline.getMaskTokenId(), sig, "baseline.mask_token_id"));
            case VALUES -> {
                Tensor t = baseline.getValues();
                Tensor batched = t.getShapeCount() == sig.explainedInput().shape().length - 1
                        ? t.toBuilder().clearShape().addShape(1).addAllShape(t.getShapeList()).build() : t;
                List<FieldViolation> violations = new ArrayList<>();
                RowBlock rows = TensorCodec.decode(batched, sig.explainedInput(), "baseline.values", violations);
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

    private static int[] outputs(List<String> names, ModelSignature sig) {
        if (names.isEmpty()) {
            int[] all = new int[sig.outputCount()];
            for (int i = 0; i < all.length; i++) {
                all[i] = i;
            }
            return all;
        }
        List<FieldViolation> violations = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        int[] columns = new int[names.size()];
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            columns[i] = sig.outputNames().indexOf(name);
            if (columns[i] < 0) {
                violations.add(new FieldViolation("outputs[" + i + "]", "the model has no output "
                        + ClientText.quote(name) + "; it has " + sig.outputNames()));
            } else if (!seen.add(name)) {
                violations.add(new FieldViolation("outputs[" + i + "]", ClientText.quote(name) + " is listed twice"));
            }
        }
        if (!violations.isEmpty()) {
            throw PrismException.invalid(Reason.UNKNOWN_OUTPUT, violations);
        }
        return columns;
    }

    private static Link link(ExplainRequest request, ModelSignature sig) {
        return switch (request.getLink()) {
            case LINK_UNSPECIFIED, LINK_IDENTITY -> Link.IDENTITY;
            case LINK_LOGIT -> {
                if (sig.outputKind() == OutputKind.REGRESSION || sig.outputKind() == OutputKind.LOGIT) {
                    throw PrismException.invalid(Reason.INVALID_PARAMS, "link", "LOGIT needs probability "
                            + "outputs; this model's outputs are " + sig.outputKind());
                }
                yield Link.LOGIT;
            }
            case UNRECOGNIZED -> throw PrismException.invalid(Reason.INVALID_PARAMS, "link",
                    "unknown link " + request.getLinkValue());
        };
    }

    private MethodCall<?> method(ExplainRequest request, ExplainInput input, ServedModel model) {
        return switch (request.getMethodCase()) {
            case KERNEL_SHAP -> new MethodCall<>("kernel_shap", kernelShap,
                    kernelShapParams(request.getKernelShap(), input));
            case LIME -> new MethodCall<>("lime", lime, limeParams(request, input, model));
            case EXACT_SHAPLEY -> new MethodCall<>("exact_shapley", exactShapley,
                    new ExactShapleyParams(request.getExactShapley().getMaxEvaluations()));
            case PERMUTATION_SHAP -> new MethodCall<>("permutation_shap", permutationShap,
                    new PermutationShapParams(request.getPermutationShap().getMaxEvals(),
                            request.getPermutationShap().getNpermutations()));
            case METHOD_NOT_SET, AUTO -> new MethodCall<>(AutoShapleyExplainer.method(input), auto, null);
            case DEEP_LIFT -> GradientMethod.DEEP_LIFT.call(null);
            case DEEP_LIFT_SHAP -> GradientMethod.DEEP_LIFT_SHAP.call(null);
            case INTEGRATED_GRADIENTS -> GradientMethod.INTEGRATED_GRADIENTS.call(
                    integratedGradientsParams(request.getIntegratedGradients()));
            case GRADIENT_X_INPUT -> GradientMethod.GRADIENT_X_INPUT.call(null);
            case SALIENCY -> GradientMethod.SALIENCY.call(null);
        };
    }

    private static IntegratedGradientsParams integratedGradientsParams(dev.prism.api.v1.IntegratedGradientsParams p) {
        IntegrationMethod method = switch (p.getMethod()) {
            case INTEGRATION_GAUSS_LEGENDRE -> IntegrationMethod.GAUSS_LEGENDRE;
            case INTEGRATION_RIEMANN_RIGHT -> IntegrationMethod.RIEMANN_RIGHT;
            case INTEGRATION_RIEMANN_LEFT -> IntegrationMethod.RIEMANN_LEFT;
            case INTEGRATION_RIEMANN_MIDDLE -> IntegrationMethod.RIEMANN_MIDDLE;
            case INTEGRATION_RIEMANN_TRAPEZOID -> IntegrationMethod.RIEMANN_TRAPEZOID;
            case UNRECOGNIZED -> throw PrismException.invalid(Reason.INVALID_PARAMS, "integrated_gradients.method",
                    "unknown integration method " + p.getMethodValue());
        };
        return new IntegratedGradientsParams(p.getNSteps(), method);
    }

    private static KernelShapParams kernelShapParams(dev.prism.api.v1.KernelShapParams p, ExplainInput input) {
        KernelShapParams.Estimator estimator = switch (p.getEstimator()) {
            case ESTIMATOR_ADJUSTED -> KernelShapParams.Estimator.ADJUSTED;
            case ESTIMATOR_KERNEL -> KernelShapParams.Estimator.KERNEL;
            case ESTIMATOR_LEVERAGE -> KernelShapParams.Estimator.LEVERAGE;
            case UNRECOGNIZED -> throw PrismException.invalid(Reason.INVALID_PARAMS, "kernel_shap.estimator",
                    "unknown estimator " + p.getEstimatorValue());
        };
        List<boolean[]> coalitions = null;
        double[] weights = null;
        if (p.hasCoalitions()) {
            RowBlock z = TensorCodec.matrix(p.getCoalitions(), -1, "kernel_shap.coalitions");
            coalitions = new ArrayList<>(z.rows());
            for (int j = 0; j < z.rows(); j++) {
                boolean[] row = new boolean[z.width()];
                for (int i = 0; i < row.length; i++) {
                    double v = z.get(j, i);
                    if (v != 0 && v != 1) {
                        throw PrismException.invalid(Reason.INVALID_PARAMS, "kernel_shap.coalitions",
                                "values must be 0 or 1; row " + j + " has " + v);
                    }
                    row[i] = v == 1;
                }
                coalitions.add(row);
            }
            weights = p.getCoalitionWeightsList().stream().mapToDouble(Double::doubleValue).toArray();
        } else if (p.getCoalitionWeightsCount() > 0) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "kernel_shap.coalition_weights",
                    "given without coalitions");
        }
        return new KernelShapParams(p.getNsamples(), estimator, l1Rule(p), p.getTolerance(), coalitions, weights);
    }

    private static LimeParams limeParams(ExplainRequest request, ExplainInput input, ServedModel model) {
        dev.prism.api.v1.LimeParams p = request.getLime();
        LimeParams.FeatureSelection selection = switch (p.getFeatureSelection()) {
            case FEATURE_SELECTION_AUTO -> LimeParams.FeatureSelection.AUTO;
            case FEATURE_SELECTION_FORWARD -> LimeParams.FeatureSelection.FORWARD;
            case FEATURE_SELECTION_HIGHEST_WEIGHTS -> LimeParams.FeatureSelection.HIGHEST_WEIGHTS;
            case FEATURE_SELECTION_NONE -> LimeParams.FeatureSelection.NONE;
            case UNRECOGNIZED -> throw PrismException.invalid(Reason.INVALID_PARAMS, "lime.feature_selection",
                    "unknown feature selection " + p.getFeatureSelectionValue());
        };
        LimeParams.Discretizer discretizer = switch (p.getDiscretizer()) {
            case DISCRETIZER_QUARTILE -> LimeParams.Discretizer.QUARTILE;
            case DISCRETIZER_DECILE -> LimeParams.Discretizer.DECILE;
            case DISCRETIZER_NONE -> LimeParams.Discretizer.NONE;
            case UNRECOGNIZED -> throw PrismException.invalid(Reason.INVALID_PARAMS, "lime.discretizer",
                    "unknown discretizer " + p.getDiscretizerValue());
        };
        LimeParams.MaskSampling sampling = switch (p.getMaskSampling()) {
            // Text explainers mask a uniform number of tokens (lime_text), images keep each part with
            // probability 1/2 (lime_image).
            case MASK_SAMPLING_AUTO -> request.getFeatureGroups().hasTokens()
                    ? LimeParams.MaskSampling.UNIFORM_COUNT : LimeParams.MaskSampling.BERNOULLI;
            case MASK_SAMPLING_BERNOULLI -> LimeParams.MaskSampling.BERNOULLI;
            case MASK_SAMPLING_UNIFORM_COUNT -> LimeParams.MaskSampling.UNIFORM_COUNT;
            case UNRECOGNIZED -> throw PrismException.invalid(Reason.INVALID_PARAMS, "lime.mask_sampling",
                    "unknown mask sampling " + p.getMaskSamplingValue());
        };
        LimeParams.Neighbourhood neighbourhood = null;
        if (p.hasNeighbourhood()) {
            RowBlock data = TensorCodec.matrix(p.getNeighbourhood().getData(), -1, "lime.neighbourhood.data");
            RowBlock inputs = null;
            if (p.getNeighbourhood().hasInputs()) {
                inputs = decodeInputs(List.of(p.getNeighbourhood().getInputs()), model.signature(),
                        "lime.neighbourhood.inputs");
            }
            neighbourhood = new LimeParams.Neighbourhood(data, inputs);
        }
        return new LimeParams(p.getNumSamples(), p.getNumFeatures(), selection, discretizer, p.getKernelWidth(),
                p.getSampleAroundInstance(), sampling, neighbourhood, model.entry().categoricalFeatures());
    }

    private static L1Rule l1Rule(dev.prism.api.v1.KernelShapParams p) {
        if (!p.hasL1Reg()) {
            return null;
        }
        L1Reg l1 = p.getL1Reg();
        try {
            return switch (l1.getRuleCase()) {
                case NUM_FEATURES -> new L1Rule.NumFeatures(l1.getNumFeatures());
                case CRITERION -> switch (l1.getCriterion()) {
                    case CRITERION_AIC -> new L1Rule.Aic();
                    case CRITERION_BIC -> new L1Rule.Bic();
                    case CRITERION_UNSPECIFIED, UNRECOGNIZED -> throw new IllegalArgumentException(
                            "criterion must be CRITERION_AIC or CRITERION_BIC");
                };
                case ALPHA -> new L1Rule.Alpha(l1.getAlpha());
                case RULE_NOT_SET -> throw new IllegalArgumentException(
                        "set one of num_features, criterion, alpha (or leave l1_reg unset for no selection)");
            };
        } catch (IllegalArgumentException e) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "kernel_shap.l1_reg", e.getMessage());
        }
    }
}
