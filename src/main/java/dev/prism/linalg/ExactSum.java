package dev.prism.linalg;

import java.util.Arrays;

/**
 * A sum of doubles kept without rounding error (Shewchuk's non-overlapping partials) and rounded
 * once, correctly, when read. The result depends only on the multiset of terms, not on their order:
 * terms that cancel give exactly 0, and two sums of the same terms are bitwise equal.
 */
public final class ExactSum {
    /** Non-overlapping, non-zero, increasing in magnitude; their exact sum is the total. */
    private double[] partials = new double[4];
    private int count;
    /** Plain sum of infinite or NaN terms, which have no exact finite total. */
    private double special;

    public void add(double x) {
        if (!Double.isFinite(x)) {
            special += x;
            return;
        }
        int kept = 0;
        for (int j = 0; j < count; j++) {
            double y = partials[j];
            if (Math.abs(x) < Math.abs(y)) {
                double t = x;
                x = y;
                y = t;
            }
            double hi = x + y;
            double lo = y - (hi - x);
            if (lo != 0) {
                partials[kept++] = lo;
            }
            x = hi;
        }
        count = kept;
        if (x != 0) {
            if (count == partials.length) {
                partials = Arrays.copyOf(partials, 2 * count);
            }
            partials[count++] = x;
        }
    }

    /** The exact total rounded to the nearest double (ties to even). */
    public double value() {
        if (special != 0 || Double.isNaN(special)) {
            return special;
        }
        int n = count;
        if (n == 0) {
            return 0;
        }
        double hi = partials[--n];
        double lo = 0;
        while (n > 0) {
            double x = hi;
            double y = partials[--n];
            hi = x + y;
            lo = y - (hi - x);
            if (lo != 0) {
                break;
            }
        }
        // hi + lo is exact; when lo is exactly half an ulp of hi, the partials below decide the tie.
        if (n > 0 && (lo < 0 && partials[n - 1] < 0 || lo > 0 && partials[n - 1] > 0)) {
            double y = lo * 2;
            double x = hi + y;
            if (y == x - hi) {
                hi = x;
            }
        }
        return hi;
    }
}
