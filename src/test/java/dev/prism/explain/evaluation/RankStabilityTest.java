package dev.prism.explain.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RankStabilityTest {
    private static final double[] PHI = {0.5, -3, 2, 0.1, -1};

    @Test
    void countsTheTopFeaturesByMagnitudeThatStayInTheTop() {
        // Top 2 of PHI by |φ|: features 1 and 2.
        double[][] perturbed = {
                {0.5, -2, 3, 0.1, -1},    // same set, other order: 1
                {0.5, -3, 0.2, 0.1, -1},  // feature 2 drops, 4 enters: 1/2
                {4, 0, 0, 0.1, -5},       // neither stays: 0
        };
        RankStability s = RankStability.of(PHI, perturbed, 2);
        assertArrayEquals(new double[] {1, 0.5, 0}, s.overlaps());
        assertEquals(0.5, s.value(), 1e-15);
        assertEquals(2, s.k());
    }

    @Test
    void tiesGoToTheLowerIndexAndKIsCutToTheFeatureCount() {
        // |φ| ties between features 0 and 3: feature 0 is in the top 1 of the first, 3 of the second.
        assertEquals(0.0, RankStability.of(new double[] {1, 0, 0, -1}, new double[][] {{0, 0, 0, 2}}, 1).value());
        assertEquals(1.0, RankStability.of(new double[] {1, 0, 0, -1}, new double[][] {{-1, 0, 0, 1}}, 1).value());
        RankStability all = RankStability.of(PHI, new double[][] {{0, 0, 0, 0, 1}}, 9);
        assertEquals(5, all.k());
        assertEquals(1.0, all.value());
    }

    @Test
    void refusesAnEmptyTopAndMismatchedExplanations() {
        assertThrows(IllegalArgumentException.class, () -> RankStability.of(PHI, new double[][] {PHI}, 0));
        assertThrows(IllegalArgumentException.class, () -> RankStability.of(PHI, new double[0][], 2));
        assertThrows(IllegalArgumentException.class, () -> RankStability.of(PHI, new double[][] {{1, 2}}, 2));
    }
}
