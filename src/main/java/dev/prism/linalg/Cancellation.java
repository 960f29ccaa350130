package dev.prism.linalg;

/**
 * How an iterative solver learns that its answer is no longer wanted. Solvers call it between
 * iterations; it throws an unchecked exception of the caller's choosing to stop them, and the
 * solver lets that exception through unchanged.
 */
@FunctionalInterface
public interface Cancellation {
    /** For callers whose work is never cancelled. */
    Cancellation NEVER = () -> { };

    void throwIfCancelled();
}
