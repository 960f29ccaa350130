package dev.prism.server;

import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.L1Reg;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.gradient.IntegratedGradientsParams;
import dev.prism.explain.gradient.IntegrationMethod;
import dev.prism.explain.lime.LimeParams;
import dev.prism.explain.shap.ExactShapleyParams;
import dev.prism.explain.shap.KernelShapParams;
import dev.prism.explain.shap.L1Rule;
import dev.prism.explain.shap.PermutationShapParams;
import dev.prism.explain.tree.TreeShapParams;
import dev.prism.tensor.RowBlock;
import java.util.ArrayList;
import java.util.List;

/**
 * The parameter decoders of {@link MethodTable}: each method's parameters message to its explainer's
 * params, with the request's sample budgets checked against the server's max_samples.
 */
final class MethodParamsCodec {

    private MethodParamsCodec() {
    }

    static ExactShapleyParams exactShapley(ExplainRequest request, ServedModel model, RequestLimits limits) {
        return new ExactShapleyParams(request.getExactShapley().getMaxEvaluations());
    }

    static PermutationShapParams permutationShap(ExplainRequest request, ServedModel model, RequestLimits limits) {
        dev.prism.api.v1.PermutationShapParams p = request.getPermutationShap();
        checkSamples(limits, "permutation_shap.max_evals", p.getMaxEvals());
        checkSamples(limits, "permutation_shap.npermutations", p.getNpermutations());
        return new PermutationShapParams(p.getMaxEvals(), p.getNpermutations());
    }

    static IntegratedGradientsParams integratedGradients(ExplainRequest request, ServedModel model,
                                                         RequestLimits limits) {
        dev.prism.api.v1.IntegratedGradientsParams p = request.getIntegratedGradients();
        checkSamples(limits, "integrated_gradients.n_steps", p.getNSteps());
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

    static KernelShapParams kernelShap(ExplainRequest request, ServedModel model, RequestLimits limits) {
        dev.prism.api.v1.KernelShapParams p = request.getKernelShap();
        checkSamples(limits, "kernel_shap.nsamples", p.getNsamples());
        if (request.hasTimeBudget() && p.hasL1Reg()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "time_budget", "kernel_shap with l1_reg selects"
                    + " features from every sample, so it has no answer before its end; leave l1_reg unset to"
                    + " answer within a time budget, or bound the call with the gRPC deadline");
        }
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

    static LimeParams lime(ExplainRequest request, ServedModel model, RequestLimits limits) {
        dev.prism.api.v1.LimeParams p = request.getLime();
        checkSamples(limits, "lime.num_samples", p.getNumSamples());
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
                inputs = ExplainRequestCodec.decodeInputs(List.of(p.getNeighbourhood().getInputs()), model.signature(),
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

    private static void checkSamples(RequestLimits limits, String field, long value) {
        if (value > limits.maxSamples()) {
            throw ExplainRequestCodec.overLimit(field, String.valueOf(value), "max_samples", limits.maxSamples(),
                    "ask for fewer");
        }
    }

    /** tree_shap: the game, the output space, interactions; the ensemble is the model's. */
    static TreeShapParams treeShap(ExplainRequest request, ServedModel model, RequestLimits limits) {
        dev.prism.api.v1.TreeShapParams p = request.getTreeShap();
        TreeShapParams.Game game = switch (p.getFeaturePerturbation()) {
            case FEATURE_PERTURBATION_UNSPECIFIED, FEATURE_PERTURBATION_INTERVENTIONAL ->
                    TreeShapParams.Game.INTERVENTIONAL;
            case FEATURE_PERTURBATION_PATH_DEPENDENT -> TreeShapParams.Game.PATH_DEPENDENT;
            case UNRECOGNIZED -> throw PrismException.invalid(Reason.INVALID_PARAMS, "tree_shap.feature_perturbation",
                    "unknown feature perturbation " + p.getFeaturePerturbationValue());
        };
        TreeShapParams.Output output = switch (p.getOutput()) {
            case OUTPUT_UNSPECIFIED, OUTPUT_MARGIN -> TreeShapParams.Output.MARGIN;
            case OUTPUT_RESCALED -> TreeShapParams.Output.RESCALED;
            case UNRECOGNIZED -> throw PrismException.invalid(Reason.INVALID_PARAMS, "tree_shap.output",
                    "unknown output " + p.getOutputValue());
        };
        return new TreeShapParams(model.trees("tree_shap"), game, output, p.getInteractions(), p.getModelCovers());
    }
}
