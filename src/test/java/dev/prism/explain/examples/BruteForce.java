package dev.prism.explain.examples;

import java.util.Arrays;
import java.util.Comparator;
import java.util.function.IntPredicate;

/** The distances of the index written out naively from their definition, for comparison. */
final class BruteForce {
    private BruteForce() {
    }

    /** Per feature: the reference mean and population standard deviation (std 0 for a constant feature). */
    static double[][] moments(double[][] x) {
        int n = x.length;
        int d = x[0].length;
        double[] mean = new double[d];
        double[] std = new double[d];
        for (int j = 0; j < d; j++) {
            boolean constant = true;
            double s = 0;
            for (double[] row : x) {
                s += row[j];
                constant &= row[j] == x[0][j];
            }
            mean[j] = s / n;
            double v = 0;
            for (double[] row : x) {
                v += (row[j] - mean[j]) * (row[j] - mean[j]);
            }
            std[j] = constant ? 0 : Math.sqrt(v / n);
        }
        return new double[][] {mean, std};
    }

    /** The input-space distance: standardised numeric differences, 0/1 category mismatches. */
    static double inputDistance(double[] a, double[] b, double[][] moments, boolean[] categorical) {
        double s = 0;
        for (int j = 0; j < a.length; j++) {
            if (categorical[j]) {
                s += a[j] == b[j] ? 0 : 1;
            } else if (moments[1][j] > 0) {
                double v = (a[j] - moments[0][j]) / moments[1][j] - (b[j] - moments[0][j]) / moments[1][j];
                s += v * v;
            }
        }
        return Math.sqrt(s);
    }

    static double euclidean(double[] a, double[] b) {
        double s = 0;
        for (int j = 0; j < a.length; j++) {
            s += (a[j] - b[j]) * (a[j] - b[j]);
        }
        return Math.sqrt(s);
    }

    /** Indices of the accepted rows sorted by (distance, index), the first k of them. */
    static Integer[] nearest(double[] distances, int k, IntPredicate accept) {
        Integer[] order = new Integer[distances.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> distances[i]).thenComparingInt(i -> i));
        return Arrays.stream(order).filter(accept::test).limit(k).toArray(Integer[]::new);
    }
}
