package dev.prism.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ConstrainedLeastSquaresTest {

    /** A NaN in the normal equations used to come back as NaN coefficients. */
    @Test
    void aDecompositionThatFailsIsASolverException() {
        ConstrainedLeastSquares problem = new ConstrainedLeastSquares(3, new double[] {1});
        problem.add(new boolean[] {true, false, false}, Double.NaN, new double[] {1});
        problem.add(new boolean[] {false, true, false}, 1, new double[] {1});
        SolverException e = assertThrows(SolverException.class, problem::solve);
        assertEquals("constrained least squares: the singular value decomposition of the normal equations failed",
                e.getMessage());
    }

    /** New targets on the same rows: the same problem as one built afresh, bit for bit. */
    @Test
    void targetsClearedAndAddedAgainEqualAFreshProblemOnTheSameRows() {
        int m = 6;
        SplittableRandom rng = new SplittableRandom(5);
        boolean[][] rows = new boolean[40][m];
        double[] weights = new double[rows.length];
        for (int j = 0; j < rows.length; j++) {
            for (int i = 0; i < m; i++) {
                rows[j][i] = rng.nextBoolean();
            }
            weights[j] = j % 7 == 0 ? 0 : rng.nextDouble();
        }
        ConstrainedLeastSquares first = new ConstrainedLeastSquares(m, new double[] {1, 2});
        double[] newTotals = {-0.5, 3};
        ConstrainedLeastSquares fresh = new ConstrainedLeastSquares(m, newTotals);
        double[][] newTargets = new double[rows.length][];
        for (int j = 0; j < rows.length; j++) {
            first.add(rows[j], weights[j], new double[] {rng.nextDouble(), rng.nextDouble()});
            newTargets[j] = new double[] {rng.nextGaussian(), rng.nextGaussian()};
            fresh.add(rows[j], weights[j], newTargets[j]);
        }
        double[][] before = first.solve();
        ConstrainedLeastSquares again = first.withTargetsCleared(newTotals);
        for (int j = 0; j < rows.length; j++) {
            again.addTargets(rows[j], weights[j], newTargets[j]);
        }
        double[][] expected = fresh.solve();
        double[][] got = again.solve();
        for (int d = 0; d < 2; d++) {
            assertArrayEquals(expected[d], got[d], 0.0);
            assertEquals(newTotals[d], java.util.Arrays.stream(got[d]).sum(), 1e-12);
        }
        // the original problem is left as it was
        assertArrayEquals(before[0], first.solve()[0], 0.0);
        assertThrows(IllegalArgumentException.class, () -> first.withTargetsCleared(new double[] {1}));
    }
}
