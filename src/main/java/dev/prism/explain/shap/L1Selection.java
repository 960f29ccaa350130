package dev.prism.explain.shap;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.linalg.Cancellation;
import dev.prism.linalg.LarsPath;
import dev.prism.linalg.Lasso;
import dev.prism.linalg.LassoLarsIC;
import dev.prism.linalg.SolverException;
import java.util.Arrays;
import java.util.List;

/**
 * shap KernelExplainer's feature selection before its constrained solve ({@code l1_reg}). The
 * efficiency constraint Σφ = Δ is folded into an unconstrained regression by stacking each
 * coalition twice: as (z, y) with weight k·(M − |z|) and as (z − 1, y − Δ) with weight k·|z|,
 * every row multiplied by the square root of its weight. A rule then picks features on that
 * system. The operations match shap's, so the system is the same to the last bit.
 */
public final class L1Selection {
    private L1Selection() {
    }

    /**
     * The selected features.
     *
     * @param masks         the evaluated coalitions, each over the M features
     * @param kernelWeights their kernel weights
     * @param eyAdj         link(v(z)) − link(f_null) for one output, per coalition
     * @param delta         link(f(x)) − link(f_null) for that output
     * @param cancellation  asked between the solver's iterations; what it throws ends the selection
     * @return the selected feature indices, ascending; possibly empty (then every φ is zero)
     * @throws IllegalArgumentException for AIC/BIC with no more than M + 1 augmented rows, where
     *                                  the noise variance cannot be estimated
     * @throws PrismException           INTERNAL_ERROR when the solver cannot give a valid selection
     *                                  (values that overflow it, a lasso that does not converge)
     */
    public static int[] select(List<boolean[]> masks, double[] kernelWeights, double[] eyAdj, double delta,
                               L1Rule rule, Cancellation cancellation) {
        Augmented system = augment(masks, kernelWeights, eyAdj, delta);
        int[] selected;
        try {
            if (rule instanceof L1Rule.NumFeatures numFeatures) {
                selected = LarsPath.lar(system.x, system.y, numFeatures.count(), cancellation).active();
            } else if (rule instanceof L1Rule.Aic) {
                selected = informationCriterion(system, LassoLarsIC.Criterion.AIC, cancellation);
            } else if (rule instanceof L1Rule.Bic) {
                selected = informationCriterion(system, LassoLarsIC.Criterion.BIC, cancellation);
            } else if (rule instanceof L1Rule.Alpha alpha) {
                selected = Lasso.fit(system.x, system.y, alpha.alpha(), cancellation).selected();
            } else {
                throw new IllegalArgumentException("unknown rule " + rule);
            }
        } catch (SolverException e) {
            throw new PrismException(Reason.INTERNAL_ERROR, "kernel_shap l1_reg " + name(rule)
                    + " could not select features: " + e.getMessage() + "; try another l1_reg or none", e);
        }
        Arrays.sort(selected);
        return selected;
    }

    /** The rule as l1_reg spells it. */
    private static String name(L1Rule rule) {
        if (rule instanceof L1Rule.NumFeatures numFeatures) {
            return "num_features(" + numFeatures.count() + ")";
        }
        if (rule instanceof L1Rule.Alpha alpha) {
            return String.valueOf(alpha.alpha());
        }
        return rule instanceof L1Rule.Aic ? "aic" : "bic";
    }

    /** shap standardises the columns (without centring) before LassoLarsIC. */
    private static int[] informationCriterion(Augmented system, LassoLarsIC.Criterion criterion,
                                              Cancellation cancellation) {
        return LassoLarsIC.fit(LassoLarsIC.scaledToUnitVariance(system.x), system.y, criterion, cancellation)
                .selected();
    }

    /** The augmented design (2n rows over M features) and its targets. */
    record Augmented(double[][] x, double[] y) {
    }

    static Augmented augment(List<boolean[]> masks, double[] kernelWeights, double[] eyAdj, double delta) {
        int n = masks.size();
        if (n == 0 || kernelWeights.length != n || eyAdj.length != n) {
            throw new IllegalArgumentException(n + " masks, " + kernelWeights.length + " weights and "
                    + eyAdj.length + " targets");
        }
        int m = masks.get(0).length;
        double[][] x = new double[2 * n][m];
        double[] y = new double[2 * n];
        for (int r = 0; r < n; r++) {
            boolean[] z = masks.get(r);
            if (z.length != m) {
                throw new IllegalArgumentException("mask " + r + " has " + z.length + " features, not " + m);
            }
            int size = 0;
            for (boolean b : z) {
                size += b ? 1 : 0;
            }
            double present = Math.sqrt(kernelWeights[r] * (m - size));
            double absent = Math.sqrt(kernelWeights[r] * size);
            for (int i = 0; i < m; i++) {
                double zi = z[i] ? 1 : 0;
                x[r][i] = present * zi;
                x[n + r][i] = absent * (zi - 1);
            }
            y[r] = eyAdj[r] * present;
            y[n + r] = (eyAdj[r] - delta) * absent;
        }
        return new Augmented(x, y);
    }
}
