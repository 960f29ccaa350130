package dev.prism.explain.lime;

import java.util.random.RandomGenerator;

/**
 * Exact samples of the standard normal restricted to [a, b] by rejection (Robert 1995), with
 * every acceptance rate above about 0.2 whatever the interval, far in a tail included: plain
 * normal draws for a wide interval around 0, uniform proposals for a narrow one, and
 * exponential proposals for a wide one in a tail.
 */
final class TruncatedNormal {
    private static final double SQRT_2PI = Math.sqrt(2 * Math.PI);

    private TruncatedNormal() {}

    /** One draw of N(0, 1) conditioned on [a, b], a <= b. */
    static double sample(RandomGenerator rng, double a, double b) {
        if (!(a <= b)) {
            throw new IllegalArgumentException("empty interval [" + a + ", " + b + "]");
        }
        if (a == b) {
            return a;
        }
        if (a > 0) {
            return tail(rng, a, b);
        }
        if (b < 0) {
            return -tail(rng, -b, -a);
        }
        if (b - a < SQRT_2PI) {
            // The density is at most its value at 0, inside the interval.
            while (true) {
                double z = a + (b - a) * rng.nextDouble();
                if (rng.nextDouble() <= Math.exp(-z * z / 2)) {
                    return z;
                }
            }
        }
        while (true) {
            double z = rng.nextGaussian();
            if (z >= a && z <= b) {
                return z;
            }
        }
    }

    /** 0 < a < b. */
    private static double tail(RandomGenerator rng, double a, double b) {
        double rate = (a + Math.sqrt(a * a + 4)) / 2;
        if (b - a <= 1 / rate) {
            // The density is at most its value at a.
            while (true) {
                double z = a + (b - a) * rng.nextDouble();
                if (rng.nextDouble() <= Math.exp((a * a - z * z) / 2)) {
                    return z;
                }
            }
        }
        while (true) {
            double z = a - Math.log1p(-rng.nextDouble()) / rate;
            double d = z - rate;
            if (z <= b && rng.nextDouble() <= Math.exp(-d * d / 2)) {
                return z;
            }
        }
    }
}
