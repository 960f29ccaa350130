package dev.prism.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ExactSumTest {

    private static double sum(List<Double> terms) {
        ExactSum s = new ExactSum();
        terms.forEach(s::add);
        return s.value();
    }

    /** The exact total, rounded to nearest by BigDecimal. */
    private static double reference(List<Double> terms) {
        BigDecimal total = BigDecimal.ZERO;
        for (double t : terms) {
            total = total.add(new BigDecimal(t));
        }
        return total.doubleValue();
    }

    @Test
    void isTheCorrectlyRoundedTotalWhateverTheOrder() {
        Random r = new Random(1);
        for (int trial = 0; trial < 200; trial++) {
            List<Double> terms = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                double t = r.nextGaussian() * Math.pow(10, r.nextInt(40) - 20);
                terms.add(t);
                terms.add(-t * (1 + 1e-12 * r.nextGaussian()));
            }
            double expected = reference(terms);
            for (int shuffle = 0; shuffle < 3; shuffle++) {
                Collections.shuffle(terms, r);
                assertEquals(expected, sum(terms), 0.0, "trial " + trial);
            }
        }
    }

    @Test
    void cancellingTermsGiveExactlyZeroAndSmallTermsSurviveLargeOnes() {
        assertEquals(0.0, sum(List.of(0.1, 0.2, 0.3, -0.1, -0.3, -0.2)), 0.0);
        assertEquals(1.0, sum(List.of(1e100, 1.0, -1e100)), 0.0);
        assertEquals(0.0, sum(List.of()), 0.0);
    }

    /** A tie between two doubles is broken by the partials below it. */
    @Test
    void roundsHalfwayCasesByTheRemainder() {
        double ulpHalf = Math.ulp(1.0) / 2;
        assertEquals(1.0, sum(List.of(1.0, ulpHalf)), 0.0);
        assertEquals(Math.nextUp(1.0), sum(List.of(1.0, ulpHalf, 1e-300)), 0.0);
        assertEquals(1.0, sum(List.of(1.0, ulpHalf, -1e-300)), 0.0);
    }

    @Test
    void nonFiniteTermsPropagate() {
        assertEquals(Double.POSITIVE_INFINITY, sum(List.of(1.0, Double.POSITIVE_INFINITY)));
        assertEquals(Double.NaN, sum(List.of(Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY)));
        assertEquals(Double.NaN, sum(List.of(2.0, Double.NaN)));
    }
}
