package dev.prism.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
}
