package dev.prism.model.trees;

/** How an interior node compares a value with its threshold (or set); the true child is taken when it holds. */
public enum SplitMode {
    LEQ, LT, GTE, GT, EQ, NEQ,
    /** The value is one of the node's members. */
    MEMBER;

    /**
     * Whether {@code value CMP threshold} holds, both already in the model's precision. NaN compares
     * as IEEE does: false for every mode but NEQ (NaN ≠ t is true).
     */
    boolean holds(double value, double threshold) {
        return switch (this) {
            case LEQ -> value <= threshold;
            case LT -> value < threshold;
            case GTE -> value >= threshold;
            case GT -> value > threshold;
            case EQ -> value == threshold;
            case NEQ -> value != threshold;
            case MEMBER -> throw new IllegalStateException("a member split tests a set, not a threshold");
        };
    }
}
