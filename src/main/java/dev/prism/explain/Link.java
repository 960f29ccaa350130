package dev.prism.explain;

/** The function applied to model outputs before attributing. */
public enum Link {
    IDENTITY {
        @Override
        public double apply(double value) {
            return value;
        }
    },
    /** log(p / (1 − p)) with p clamped to [1e-7, 1 − 1e-7], so outputs of exactly 0 or 1 stay finite. */
    LOGIT {
        @Override
        public double apply(double value) {
            double p = Math.min(Math.max(value, LOGIT_EPSILON), 1 - LOGIT_EPSILON);
            return Math.log(p / (1 - p));
        }
    };

    static final double LOGIT_EPSILON = 1e-7;

    public abstract double apply(double value);
}
