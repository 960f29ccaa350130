package dev.prism.linalg;

/**
 * A solver could not give a valid answer: its data were not finite, its arithmetic overflowed, or
 * it reached its iteration bound without converging. Thrown instead of returning a wrong answer.
 */
public final class SolverException extends ArithmeticException {
    public SolverException(String message) {
        super(message);
    }
}
