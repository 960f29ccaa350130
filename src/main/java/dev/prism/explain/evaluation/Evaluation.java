package dev.prism.explain.evaluation;

/**
 * The metrics of one explanation (one instance and output); a metric not asked for is null.
 *
 * @param sensitivity   max-sensitivity over the perturbed inputs
 * @param rankStability the top-k rank stability over the same inputs
 */
public record Evaluation(DeletionCurve deletion, DeletionCurve insertion, Infidelity infidelity,
                         SensitivityMax sensitivity, RankStability rankStability, Complexity complexity) {}
