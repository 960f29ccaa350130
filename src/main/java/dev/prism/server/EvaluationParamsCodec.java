package dev.prism.server;

import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.TreeShapParams;
import dev.prism.error.FieldViolation;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.ExplainMethod;
import dev.prism.explain.evaluation.Complexity;
import dev.prism.explain.evaluation.EvaluationParams;
import dev.prism.explain.evaluation.RankStability;
import java.util.ArrayList;
import java.util.List;

/**
 * An Explain request's {@code evaluate} as core parameters, defaults applied, or INVALID_ARGUMENT
 * with one field violation per bad value. A method whose attributions are not of the score the
 * model's rows give (saliency, which has no reference to remove features to; gradients of the
 * logits; tree_shap's margin) is refused the row metrics (deletion, insertion, infidelity) as an
 * invalid combination of the request's own fields, INVALID_ARGUMENT rather than
 * FAILED_PRECONDITION: the same model answers them for another method or target.
 */
final class EvaluationParamsCodec {
    static final int MAX_STEPS = 10_000;
    static final int MAX_INFIDELITY_PERTURBATIONS = 1_000;
    static final int MAX_SENSITIVITY_PERTURBATIONS = 100;
    static final int MAX_TOP_K = 10_000;
    static final int DEFAULT_PERTURBATIONS = 10;
    static final double DEFAULT_NOISE_STD = 0.1;
    /** Captum's sensitivity_max default. */
    static final double DEFAULT_RADIUS = 0.02;

    private EvaluationParamsCodec() {}

    /**
     * @param method      the method that runs (auto's choice is one of the Shapley methods, which all qualify)
     * @param logits      the gradient methods attribute the logits
     * @param floating    the explained input is floating-point
     * @param grouped     the request groups features
     * @return null when the request asks for no evaluation
     */
    static EvaluationParams decode(ExplainRequest request, ExplainMethod method, boolean logits, boolean floating,
                                   boolean grouped) {
        if (!request.hasEvaluate()) {
            return null;
        }
        dev.prism.api.v1.EvaluationParams p = request.getEvaluate();
        List<FieldViolation> violations = new ArrayList<>();
        String rowMetricsRefused = rowMetricsRefused(request, method, logits);
        EvaluationParams.Deletion deletion = null;
        if (p.hasDeletion()) {
            int steps = p.getDeletion().getSteps();
            if (rowMetricsRefused != null) {
                violations.add(new FieldViolation("evaluate.deletion", rowMetricsRefused));
            } else if (steps < 0 || steps > MAX_STEPS) {
                violations.add(new FieldViolation("evaluate.deletion.steps", "must be in [0, " + MAX_STEPS
                        + "], got " + steps));
            }
            deletion = new EvaluationParams.Deletion(steps);
        }
        EvaluationParams.InfidelityNoise infidelity = null;
        if (p.hasInfidelity()) {
            var q = p.getInfidelity();
            if (rowMetricsRefused != null) {
                violations.add(new FieldViolation("evaluate.infidelity", rowMetricsRefused));
            } else if (grouped) {
                violations.add(new FieldViolation("evaluate.infidelity", "infidelity perturbs input elements and"
                        + " needs one attribution per element; leave feature_groups unset"));
            } else if (!floating) {
                violations.add(new FieldViolation("evaluate.infidelity", "Gaussian noise needs a floating-point input"));
            }
            int n = count(q.getNPerturbations(), MAX_INFIDELITY_PERTURBATIONS, "evaluate.infidelity.n_perturbations",
                    violations);
            double std = positive(q.getNoiseStd(), DEFAULT_NOISE_STD, "evaluate.infidelity.noise_std", violations);
            infidelity = new EvaluationParams.InfidelityNoise(n, std, q.getSeed());
        }
        EvaluationParams.Sensitivity sensitivity = null;
        if (p.hasSensitivity()) {
            var q = p.getSensitivity();
            if (!floating) {
                violations.add(new FieldViolation("evaluate.sensitivity", "perturbing the input needs a floating-point"
                        + " input"));
            }
            int n = count(q.getNPerturbations(), MAX_SENSITIVITY_PERTURBATIONS, "evaluate.sensitivity.n_perturbations",
                    violations);
            double radius = positive(q.getRadius(), DEFAULT_RADIUS, "evaluate.sensitivity.radius", violations);
            int k = q.getTopK();
            if (k < 0 || k > MAX_TOP_K) {
                violations.add(new FieldViolation("evaluate.sensitivity.top_k", "must be in [0, " + MAX_TOP_K
                        + "], got " + k));
            }
            sensitivity = new EvaluationParams.Sensitivity(radius, n, k == 0 ? RankStability.DEFAULT_K : k,
                    q.getSeed());
        }
        EvaluationParams.ComplexityShare complexity = null;
        if (p.hasComplexity()) {
            double f = p.getComplexity().getFraction();
            if (!(f >= 0 && f <= 1)) {
                violations.add(new FieldViolation("evaluate.complexity.fraction", "must be in [0, 1] (0 for the"
                        + " default " + Complexity.DEFAULT_FRACTION + "), got " + f));
            }
            complexity = new EvaluationParams.ComplexityShare(f == 0 ? Complexity.DEFAULT_FRACTION : f);
        }
        if (!violations.isEmpty()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, violations);
        }
        if (deletion == null && infidelity == null && sensitivity == null && complexity == null) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "evaluate", "names no metric; set one or more of"
                    + " deletion, infidelity, sensitivity, complexity");
        }
        return new EvaluationParams(deletion, infidelity, sensitivity, complexity);
    }

    /** Why the method's attributions cannot be compared with the model's rows, or null when they can. */
    static String rowMetricsRefused(ExplainRequest request, ExplainMethod method, boolean logits) {
        if (method.reference() == ExplainMethod.Reference.NONE) {
            return method.name() + " has no reference input to remove features to, and its attributions do not"
                    + " measure a change of output; use complexity or sensitivity, or a method with a reference";
        }
        if (logits) {
            return "the attributions are of the logits, which the model's rows do not give; use"
                    + " GRADIENT_TARGET_OUTPUT to evaluate them against the model";
        }
        if (method.runsOnTrees() && request.getTreeShap().getOutput() != TreeShapParams.Output.OUTPUT_RESCALED) {
            return "tree_shap's margin values are not of the model's score; use output OUTPUT_RESCALED to evaluate"
                    + " them against the model";
        }
        return null;
    }

    /** A perturbation count: 0 for the default, else in [1, max]. */
    private static int count(int n, int max, String field, List<FieldViolation> violations) {
        if (n < 0 || n > max) {
            violations.add(new FieldViolation(field, "must be in [0, " + max + "] (0 for the default "
                    + DEFAULT_PERTURBATIONS + "), got " + n));
        }
        return n == 0 ? DEFAULT_PERTURBATIONS : n;
    }

    /** A finite scale: 0 for the default, else positive. */
    private static double positive(double v, double fallback, String field, List<FieldViolation> violations) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            violations.add(new FieldViolation(field, "must be finite and >= 0 (0 for the default " + fallback
                    + "), got " + v));
        }
        return v == 0 ? fallback : v;
    }
}
