package dev.prism.explain.gradient;

/**
 * Gauss–Legendre quadrature: the n roots of the Legendre polynomial P_n on [−1, 1] by Newton's
 * method from the usual cosine guesses, weights 2 / ((1 − x²) P_n'(x)²). Newton on the three-term
 * recurrence is O(n²) in all and accurate to rounding for every n Prism allows, where an
 * eigenvalue solve of the Jacobi matrix would be O(n³).
 */
final class GaussLegendre {
    private GaussLegendre() {}

    /** Nodes on [−1, 1], ascending, and their weights (summing to 2). */
    record Rule(double[] nodes, double[] weights) {}

    static Rule of(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, got " + n);
        }
        double[] nodes = new double[n];
        double[] weights = new double[n];
        for (int i = 0; i < (n + 1) / 2; i++) {
            double z = Math.cos(Math.PI * (i + 0.75) / (n + 0.5));
            for (int iteration = 0; iteration < 100; iteration++) {
                double[] p = legendre(n, z);
                double step = p[0] / p[1];
                z -= step;
                // Quadratic convergence: once a step is this small the next would be below rounding.
                if (Math.abs(step) <= 1e-15) {
                    break;
                }
            }
            double derivative = legendre(n, z)[1];
            double w = 2 / ((1 - z * z) * derivative * derivative);
            // Roots come in ± pairs; the guesses run from the largest down.
            nodes[n - 1 - i] = z;
            nodes[i] = -z;
            weights[n - 1 - i] = w;
            weights[i] = w;
        }
        if (n % 2 == 1) {
            nodes[n / 2] = 0;
        }
        return new Rule(nodes, weights);
    }

    /** P_n(z) and P_n'(z). */
    private static double[] legendre(int n, double z) {
        double previous = 1;
        double p = z;
        for (int j = 2; j <= n; j++) {
            double next = ((2 * j - 1) * z * p - (j - 1) * previous) / j;
            previous = p;
            p = next;
        }
        return new double[] {p, n * (z * p - previous) / (z * z - 1)};
    }
}
