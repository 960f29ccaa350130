package dev.prism.explain.gradient;

import dev.prism.testing.AttributionFunctionModel;

/**
 * f0 = x0·x1·x2 + x3/2 and f1 = x0²·x1 + x2 − 2·x3: gradients along a straight path are
 * polynomials of degree two in α, so Integrated Gradients has a closed form and Gauss–Legendre
 * with two or more points is exact. Its DeepLIFT contributions are the gradient at the midpoint
 * times x − x', which for these cubics does not sum to f(x) − f(x'): a convergence delta to report.
 */
final class Polynomial implements AttributionFunctionModel.Scores {
    static final int ELEMENTS = 4;
    static final int OUTPUTS = 2;

    static AttributionFunctionModel model() {
        return new AttributionFunctionModel(ELEMENTS, OUTPUTS, new Polynomial());
    }

    @Override
    public double[] values(double[] x) {
        return new double[] {x[0] * x[1] * x[2] + 0.5 * x[3], x[0] * x[0] * x[1] + x[2] - 2 * x[3]};
    }

    @Override
    public double[][] jacobian(double[] x) {
        return new double[][] {
                {x[1] * x[2], x[0] * x[2], x[0] * x[1], 0.5},
                {2 * x[0] * x[1], x[0] * x[0], 1, -2}};
    }

    @Override
    public double[][] contributions(double[] x, double[] reference) {
        double[] mid = new double[x.length];
        for (int e = 0; e < x.length; e++) {
            mid[e] = (x[e] + reference[e]) / 2;
        }
        double[][] j = jacobian(mid);
        for (double[] row : j) {
            for (int e = 0; e < x.length; e++) {
                row[e] *= x[e] - reference[e];
            }
        }
        return j;
    }

    /**
     * ∫₀¹ ∂f_k/∂x_e(a + α d) dα for each element, the exact path integral of the gradient, from the
     * path moments m_p = ∫ α^p dα (or any rule's Σ w_s α_s^p in their place).
     */
    static double[] pathIntegral(int k, double[] a, double[] d, double m0, double m1, double m2) {
        if (k == 0) {
            return new double[] {
                    product(a[1], d[1], a[2], d[2], m0, m1, m2),
                    product(a[0], d[0], a[2], d[2], m0, m1, m2),
                    product(a[0], d[0], a[1], d[1], m0, m1, m2),
                    0.5 * m0};
        }
        return new double[] {
                2 * product(a[0], d[0], a[1], d[1], m0, m1, m2),
                product(a[0], d[0], a[0], d[0], m0, m1, m2),
                m0,
                -2 * m0};
    }

    /** Σ w (a + αd)(b + αe) in terms of the moments. */
    private static double product(double a, double d, double b, double e, double m0, double m1, double m2) {
        return a * b * m0 + (a * e + b * d) * m1 + d * e * m2;
    }
}
