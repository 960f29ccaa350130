package dev.prism.explain.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ComplexityTest {

    @Test
    void equalMagnitudesHaveTheLogOfTheirCountAndNeedAllButTheRemainder() {
        Complexity c = Complexity.of(new double[] {1, -1, 1, -1});
        assertEquals(Math.log(4), c.entropy(), 1e-15);
        // 90% of 4 is 3.6: three features (3) fall short, four reach it.
        assertEquals(4, c.effectiveFeatures());
        assertEquals(2, Complexity.of(new double[] {1, -1, 1, -1}, 0.5).effectiveFeatures());
    }

    @Test
    void entropyOfUnequalMagnitudesIsShannonsInNats() {
        Complexity c = Complexity.of(new double[] {0, -1, 3, 0});
        assertEquals(-(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)), c.entropy(), 1e-15);
        assertEquals(2, c.effectiveFeatures());
        // 3 of 4 is exactly 75%: one feature is enough at that fraction.
        assertEquals(1, Complexity.of(new double[] {0, -1, 3, 0}, 0.75).effectiveFeatures());
        assertEquals(2, Complexity.of(new double[] {0, -1, 3, 0}, 0.76).effectiveFeatures());
    }

    @Test
    void aFractionMetExactlyIsNotMissedByRounding() {
        // 0.9 * (0.9 + 0.1) rounds above 0.9 in floating point.
        assertEquals(1, Complexity.of(new double[] {0.1, 0.9}).effectiveFeatures());
        assertEquals(3, Complexity.of(new double[] {0.3, 0.3, 0.3, 0.1}).effectiveFeatures());
    }

    @Test
    void oneFeatureCarryingEverythingHasNoEntropy() {
        Complexity c = Complexity.of(new double[] {0, 0, -2.5});
        assertEquals(0.0, c.entropy());
        assertEquals(1, c.effectiveFeatures());
    }

    @Test
    void allZeroAttributionsNeedNoFeature() {
        Complexity c = Complexity.of(new double[] {0, -0.0, 0});
        assertEquals(0.0, c.entropy());
        assertEquals(0, c.effectiveFeatures());
        assertEquals(0, Complexity.of(new double[0]).effectiveFeatures());
    }

    @Test
    void refusesFractionsOutsideTheUnitIntervalAndValuesThatAreNotFinite() {
        assertThrows(IllegalArgumentException.class, () -> Complexity.of(new double[] {1}, 0));
        assertThrows(IllegalArgumentException.class, () -> Complexity.of(new double[] {1}, 1.5));
        assertThrows(IllegalArgumentException.class, () -> Complexity.of(new double[] {1}, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Complexity.of(new double[] {1, Double.NaN}));
        assertEquals(3, Complexity.of(new double[] {1, 1, 1}, 1).effectiveFeatures());
    }
}
