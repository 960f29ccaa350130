package dev.prism.model;

/**
 * The gradient graphs compiled from a model's own graph, and the row layout each one exchanges
 * with the scheduler. {@code D} is the explained input's instance size and {@code K} the score
 * width; the seed row weights the score columns, so one graph explains any output (a one-hot seed)
 * or any weighted sum of outputs.
 */
public enum AttributionKind {
    /**
     * DeepLIFT Rescale multipliers m of seed·f between an instance x and its reference x'.
     * Row in: {@code [x (D) | x' (D) | seed (K)]}; row out: {@code [(x - x')·m (D) | seed·f(x) | seed·f(x')]}.
     */
    DEEP_LIFT,
    /**
     * True gradients of seed·f at x. Row in: {@code [x (D) | seed (K)]}; row out:
     * {@code [∇(seed·f)(x) (D) | seed·f(x)]}.
     */
    GRADIENT;

    /** Width of the rows submitted to the graph. */
    public int inputWidth(int features, int outputs) {
        return this == DEEP_LIFT ? 2 * features + outputs : features + outputs;
    }

    /** Width of the rows the graph returns. */
    public int outputWidth(int features) {
        return this == DEEP_LIFT ? features + 2 : features + 1;
    }
}
