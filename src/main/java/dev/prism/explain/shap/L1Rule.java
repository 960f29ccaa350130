package dev.prism.explain.shap;

/**
 * How KernelSHAP picks the features it solves for (shap's {@code l1_reg}); the others get zero.
 */
public sealed interface L1Rule {
    /** The first {@code count} features to enter the LAR path ({@code "num_features(count)"}). */
    record NumFeatures(int count) implements L1Rule {
        public NumFeatures {
            if (count < 1) {
                throw new IllegalArgumentException("num_features needs a count >= 1, got " + count);
            }
        }
    }

    /** The lasso point with the lowest Akaike information criterion ({@code "aic"}). */
    record Aic() implements L1Rule {
    }

    /** The lasso point with the lowest Bayesian information criterion ({@code "bic"}). */
    record Bic() implements L1Rule {
    }

    /** The non-zero coefficients of the lasso with this penalty (a float {@code l1_reg}). */
    record Alpha(double alpha) implements L1Rule {
        public Alpha {
            if (!(alpha > 0) || Double.isInfinite(alpha)) {
                throw new IllegalArgumentException("the lasso penalty must be finite and > 0, got " + alpha);
            }
        }
    }
}
