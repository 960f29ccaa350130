package dev.prism.model.trees;

/**
 * How the margins become score columns before the transform. A binary classifier that votes for
 * one class only (what every converter writes) has one margin s and two columns, laid out as ONNX
 * Runtime lays them out: [1 − s, s] when no vote weight is negative and there is no transform,
 * [−s, s] when some weight is negative, and [−s, s] under the logistic, which then gives
 * [σ(−s), σ(s)].
 */
public enum ScoreLayout {
    /** One column per target. */
    TARGETS,
    /** One target s, columns [1 − s, s]. */
    COMPLEMENT_PAIR,
    /** One target s, columns [−s, s]. */
    NEGATED_PAIR;

    int columns(int targets) {
        return this == TARGETS ? targets : 2;
    }

    double[] lay(double[] margins) {
        return switch (this) {
            case TARGETS -> margins.clone();
            case COMPLEMENT_PAIR -> new double[] {1 - margins[0], margins[0]};
            case NEGATED_PAIR -> new double[] {-margins[0], margins[0]};
        };
    }
}
