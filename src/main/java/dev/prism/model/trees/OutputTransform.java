package dev.prism.model.trees;

/**
 * The ensemble's post_transform, computed by Prism from the margins (as ONNX Runtime computes it,
 * in double): element-wise logistic, softmax over the columns, or softmax leaving out the columns
 * whose score is (nearly) zero. PROBIT is not among them: ONNX Runtime's approximation is only
 * defined on [0, 1] and Prism does not reproduce it.
 */
public enum OutputTransform {
    NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO;

    /** ONNX Runtime's bound below which SOFTMAX_ZERO treats a score as zero (a float constant). */
    static final double ZERO_BOUND = 1e-7f;

    /** Transforms the scores in place. */
    void apply(double[] s) {
        switch (this) {
            case NONE -> {
            }
            case LOGISTIC -> {
                for (int i = 0; i < s.length; i++) {
                    s[i] = logistic(s[i]);
                }
            }
            case SOFTMAX -> {
                double max = max(s);
                double sum = 0;
                for (int i = 0; i < s.length; i++) {
                    s[i] = Math.exp(s[i] - max);
                    sum += s[i];
                }
                for (int i = 0; i < s.length; i++) {
                    s[i] /= sum;
                }
            }
            case SOFTMAX_ZERO -> {
                double max = max(s);
                double expNegMax = Math.exp(-max);
                double sum = 0;
                for (int i = 0; i < s.length; i++) {
                    if (Math.abs(s[i]) > ZERO_BOUND) {
                        s[i] = Math.exp(s[i] - max);
                        sum += s[i];
                    } else {
                        s[i] *= expNegMax;
                    }
                }
                for (int i = 0; i < s.length; i++) {
                    s[i] /= sum;
                }
            }
        }
    }

    static double logistic(double v) {
        // exp of a non-positive argument only, so neither tail overflows.
        double e = Math.exp(-Math.abs(v));
        return v >= 0 ? 1 / (1 + e) : e / (1 + e);
    }

    private static double max(double[] s) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : s) {
            max = Math.max(max, v);
        }
        return max;
    }
}
