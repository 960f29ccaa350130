package dev.prism.explain.lime;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import java.util.random.RandomGenerator;

/**
 * Exact samples of the standard normal restricted to [a, b] by rejection (Robert 1995), with
 * every acceptance rate above about 0.2 whatever the interval, far in a tail included: plain
 * normal draws for a wide interval around 0, uniform proposals for a narrow one, and
 * exponential proposals for a wide one in a tail. An interval so far in a tail that double
 * precision loses the density (beyond about 1e154) would reject for ever: proposals are bounded.
 */
final class TruncatedNormal {
    private static final double SQRT_2PI = Math.sqrt(2 * Math.PI);
    /** With acceptance above 0.2, this many rejections in a row (chance below 1e-900) means arithmetic failed. */
    static final int MAX_PROPOSALS = 10_000;

    private TruncatedNormal() {}

    /**
     * One draw of N(0, 1) conditioned on [a, b], a <= b.
     *
     * @throws PrismException INTERNAL_ERROR when {@value #MAX_PROPOSALS} proposals were all rejected
     */
    static double sample(RandomGenerator rng, double a, double b) {
        if (!(a <= b)) {
            throw new IllegalArgumentException("empty interval [" + a + ", " + b + "]");
        }
        if (a == b) {
            return a;
        }
        double z = a > 0 ? tail(rng, a, b) : b < 0 ? -tail(rng, -b, -a) : central(rng, a, b);
        if (Double.isNaN(z)) {
            throw new PrismException(Reason.INTERNAL_ERROR, "lime could not sample a bin: the standard normal on ["
                    + a + ", " + b + "] accepted none of " + MAX_PROPOSALS + " proposals (its values lie too far"
                    + " out for double precision); use DISCRETIZER_NONE or rescale the inputs");
        }
        return z;
    }

    /** a <= 0 <= b, a < b; NaN when every proposal was rejected. */
    private static double central(RandomGenerator rng, double a, double b) {
        if (b - a < SQRT_2PI) {
            // The density is at most its value at 0, inside the interval.
            for (int i = 0; i < MAX_PROPOSALS; i++) {
                double z = a + (b - a) * rng.nextDouble();
                if (rng.nextDouble() <= Math.exp(-z * z / 2)) {
                    return z;
                }
            }
            return Double.NaN;
        }
        for (int i = 0; i < MAX_PROPOSALS; i++) {
            double z = rng.nextGaussian();
            if (z >= a && z <= b) {
                return z;
            }
        }
        return Double.NaN;
    }

    /** 0 < a < b; NaN when every proposal was rejected. */
    private static double tail(RandomGenerator rng, double a, double b) {
        double rate = (a + Math.sqrt(a * a + 4)) / 2;
        if (b - a <= 1 / rate) {
            // The density is at most its value at a.
            for (int i = 0; i < MAX_PROPOSALS; i++) {
                double z = a + (b - a) * rng.nextDouble();
                if (rng.nextDouble() <= Math.exp((a * a - z * z) / 2)) {
                    return z;
                }
            }
            return Double.NaN;
        }
        for (int i = 0; i < MAX_PROPOSALS; i++) {
            double z = a - Math.log1p(-rng.nextDouble()) / rate;
            double d = z - rate;
            if (z <= b && rng.nextDouble() <= Math.exp(-d * d / 2)) {
                return z;
            }
        }
        return Double.NaN;
    }
}
