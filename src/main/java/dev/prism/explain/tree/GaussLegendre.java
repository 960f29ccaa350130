package dev.prism.explain.tree;

/**
 * Gauss–Legendre quadrature on [0, 1]: n nodes and weights that integrate every polynomial of
 * degree ≤ 2n − 1 exactly. The nodes are the roots of the Legendre polynomial P_n, found by Newton's
 * method from Tricomi's estimate cos(π(i − 1/4)/(n + 1/2)); Newton converges quadratically there,
 * so one step past a change below 1e-10 reaches rounding.
 */
final class GaussLegendre {
    private static final int MAX_NEWTON_STEPS = 100;

    /** Nodes in (0, 1), ascending. */
    final double[] nodes;
    /** Positive weights summing to 1. */
    final double[] weights;

    private GaussLegendre(double[] nodes, double[] weights) {
        this.nodes = nodes;
        this.weights = weights;
    }

    /**
     * [d] for d = 1..players: the rule of ⌈d/2⌉ points, exact for every polynomial of degree
     * ≤ d − 1, the degree of the Shapley integrand of a leaf with d players; [0] is null.
     */
    static GaussLegendre[] exactUpTo(int players) {
        GaussLegendre[] rules = new GaussLegendre[players + 1];
        for (int d = 1; d <= players; d++) {
            rules[d] = of((d + 1) / 2);
        }
        return rules;
    }

    static GaussLegendre of(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("a rule needs at least one node, got " + n);
        }
        double[] nodes = new double[n];
        double[] weights = new double[n];
        for (int i = 0; i < (n + 1) / 2; i++) {
            double z = Math.cos(Math.PI * (i + 0.75) / (n + 0.5));
            boolean close = false;
            for (int step = 0; step < MAX_NEWTON_STEPS; step++) {
                double dz = legendre(n, z) / derivative(n, z);
                z -= dz;
                if (close) {
                    break;
                }
                close = Math.abs(dz) < 1e-10;
            }
            double d = derivative(n, z);
            // The roots ±z of P_n on [−1, 1] map to (1 ∓ z)/2 on [0, 1], and the weights
            // 2/((1 − z²)P_n'(z)²) halve.
            double w = 1.0 / ((1 - z * z) * d * d);
            nodes[i] = (1 - z) / 2;
            nodes[n - 1 - i] = (1 + z) / 2;
            weights[i] = w;
            weights[n - 1 - i] = w;
        }
        return new GaussLegendre(nodes, weights);
    }

    /** P_n(z) by the three-term recurrence. */
    private static double legendre(int n, double z) {
        double p = 1;
        double previous = 0;
        for (int k = 1; k <= n; k++) {
            double older = previous;
            previous = p;
            p = ((2.0 * k - 1) * z * previous - (k - 1.0) * older) / k;
        }
        return p;
    }

    /** P_n'(z) = n(z·P_n(z) − P_{n−1}(z))/(z² − 1). */
    private static double derivative(int n, double z) {
        return n * (z * legendre(n, z) - legendre(n - 1, z)) / (z * z - 1);
    }
}
