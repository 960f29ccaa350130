package dev.prism.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class WeightedRidgeTest {

    /** y = 3·x0 − x2 on five rows of four columns, equal weights. */
    private static WeightedRidge problem() {
        double[] x = {1, 0, 2, 1, 0, 1, 1, 3, 2, 2, 0, 1, 1, 1, 1, 0, 3, 0, 2, 2};
        double[] y = new double[5];
        for (int r = 0; r < 5; r++) {
            y[r] = 3 * x[r * 4] - x[r * 4 + 2];
        }
        WeightedRidge ridge = new WeightedRidge(new double[] {1, 0, 2, 1}, new double[] {y[0]});
        ridge.add(x, 5, new double[] {1, 1, 1, 1, 1}, y);
        return ridge;
    }

    @Test
    void forwardSelectionAsksCancellationAtEveryStep() {
        int[] asked = {0};
        assertEquals(2, problem().forwardSelection(0, 2, () -> asked[0]++).length);
        assertEquals(2, asked[0], "once per step");

        RuntimeException stop = new RuntimeException("cancelled");
        int[] calls = {0};
        assertSame(stop, assertThrows(RuntimeException.class, () -> problem().forwardSelection(0, 3, () -> {
            if (++calls[0] == 2) {
                throw stop;
            }
        })));
        assertEquals(2, calls[0]);
    }

    @Test
    void sumsThatOverflowAreASolverExceptionAtTheFirstFit() {
        WeightedRidge ridge = new WeightedRidge(new double[] {0, 0}, new double[] {0});
        ridge.add(new double[] {1e200, 0, 0, 1, 1, 1}, 3, new double[] {1, 1, 1}, new double[] {1, 2, 3});
        SolverException e = assertThrows(SolverException.class,
                () -> ridge.forwardSelection(0, 2, Cancellation.NEVER));
        assertEquals("ridge: the weighted Gram matrix of the rows is not finite (NaN at entry 0)", e.getMessage());
        assertThrows(SolverException.class, () -> ridge.fit(new int[] {0, 1}, 0, 1));
    }
}
