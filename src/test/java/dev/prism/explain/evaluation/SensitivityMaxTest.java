package dev.prism.explain.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class SensitivityMaxTest {

    @Test
    void isTheLargestRelativeChangeOfTheExplanation() {
        double[] phi = {3, 4};
        SensitivityMax s = SensitivityMax.of(phi, new double[][] {{3, 4}, {0, 0}, {6, 8}, {3, 4.5}});
        assertArrayEquals(new double[] {0, 1, 1, 0.1}, s.sensitivities(), 1e-15);
        assertEquals(1.0, s.value(), 1e-15);
    }

    @Test
    void aZeroExplanationDividesByOneAsCaptumDoes() {
        SensitivityMax s = SensitivityMax.of(new double[] {0, 0}, new double[][] {{0.3, 0.4}});
        assertEquals(0.5, s.value(), 1e-15);
    }

    @Test
    void explainsThePerturbedInputsInOneCall() {
        double[] x = {1, -2, 0.5};
        double[][] inputs = Perturbations.added(x, new double[][] {{0.01, 0, 0}, {0, 0, -0.02}});
        int[] calls = {0};
        SensitivityMax s = SensitivityMax.of(new double[] {2, -4, 1}, inputs, batch -> {
            calls[0]++;
            double[][] out = new double[batch.length][];
            for (int j = 0; j < batch.length; j++) {
                out[j] = new double[] {2 * batch[j][0], 2 * batch[j][1], 2 * batch[j][2]};
            }
            return out;
        });
        assertEquals(1, calls[0]);
        assertEquals(0.04 / Math.sqrt(21), s.value(), 1e-15);
        assertArrayEquals(new double[] {2, -4, 0.96}, s.perturbedAttributions()[1], 1e-15);
        assertThrows(IllegalArgumentException.class, () -> SensitivityMax.of(new double[] {1, 1, 1}, inputs,
                batch -> new double[1][3]));
    }

    @Test
    void uniformPerturbationsStayInTheBallAndFollowTheSeed() {
        double[] x = {1, -2, 0.5, 4};
        double[][] a = Perturbations.uniformBall(x, 0.02, 200, 7);
        assertArrayEquals(a, Perturbations.uniformBall(x, 0.02, 200, 7));
        assertNotEquals(a[0][0], Perturbations.uniformBall(x, 0.02, 1, 8)[0][0]);
        double largest = 0;
        for (double[] row : a) {
            for (int i = 0; i < x.length; i++) {
                assertTrue(Math.abs(row[i] - x[i]) <= 0.02);
                largest = Math.max(largest, Math.abs(row[i] - x[i]));
            }
        }
        // 800 uniform draws on [-0.02, 0.02): the largest is above 0.019 unless the noise is not spread.
        assertTrue(largest > 0.019, "largest offset " + largest);
    }

    /** Captum's sensitivity_max with InputXGradient on linear_net and fixed perturbations. */
    @Test
    void matchesCaptumOnFixedPerturbations() throws IOException {
        assertEquals(6, EvaluationGolden.assertSensitivityMax(EvaluationGolden.read(), 1e-6));
    }
}
