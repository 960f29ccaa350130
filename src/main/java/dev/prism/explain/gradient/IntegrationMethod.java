package dev.prism.explain.gradient;

import java.util.Arrays;

/**
 * The quadrature rules of Integrated Gradients, as Captum's {@code approximation_methods} defines
 * them: the points α on the path from the baseline (0) to the instance (1) and their step sizes.
 * The Riemann points are {@code torch.linspace}'s, computed the same way in double precision.
 */
public enum IntegrationMethod {
    /** Gauss–Legendre nodes on [0, 1] ({@code "gausslegendre"}, Captum's default). */
    GAUSS_LEGENDRE,
    /** n points from 1/n to 1, steps 1/n. */
    RIEMANN_RIGHT,
    /** n points from 0 to 1 − 1/n, steps 1/n. */
    RIEMANN_LEFT,
    /** n points from 1/(2n) to 1 − 1/(2n), steps 1/n. */
    RIEMANN_MIDDLE,
    /**
     * n points from 0 to 1 with steps 1/n halved at both ends, exactly as Captum has it: the steps
     * sum to (n − 1)/n rather than 1, so even a linear model is left with a convergence delta.
     */
    RIEMANN_TRAPEZOID;

    /** The fewest points the rule takes (Captum asserts the same). */
    public int minSteps() {
        return this == GAUSS_LEGENDRE ? 1 : 2;
    }

    /** The points α in [0, 1] and their step sizes. */
    record Quadrature(double[] alphas, double[] stepSizes) {}

    /** The rule's n points and step sizes. */
    Quadrature quadrature(int n) {
        double[] alphas = new double[n];
        double[] steps = new double[n];
        if (this == GAUSS_LEGENDRE) {
            GaussLegendre.Rule rule = GaussLegendre.of(n);
            for (int s = 0; s < n; s++) {
                alphas[s] = 0.5 * (1 + rule.nodes()[s]);
                steps[s] = 0.5 * rule.weights()[s];
            }
            return new Quadrature(alphas, steps);
        }
        alphas = switch (this) {
            case RIEMANN_RIGHT -> linspace(1.0 / n, 1, n);
            case RIEMANN_LEFT -> linspace(0, 1 - 1.0 / n, n);
            case RIEMANN_MIDDLE -> linspace(1.0 / (2 * n), 1 - 1.0 / (2 * n), n);
            default -> linspace(0, 1, n);
        };
        Arrays.fill(steps, 1.0 / n);
        if (this == RIEMANN_TRAPEZOID) {
            steps[0] /= 2;
            steps[n - 1] /= 2;
        }
        return new Quadrature(alphas, steps);
    }

    /** torch.linspace: the first half counted up from start, the second down from end. */
    private static double[] linspace(double start, double end, int n) {
        double step = (end - start) / (n - 1);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = i < n / 2 ? start + i * step : end - (n - 1 - i) * step;
        }
        return out;
    }
}
