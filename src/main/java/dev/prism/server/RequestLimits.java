package dev.prism.server;

/**
 * What one request may ask of the server. Past a limit a request gets INVALID_ARGUMENT (reason
 * BUDGET_EXCEEDED) naming the limit and its value; a message over {@code maxMessageBytes} is refused
 * by the transport with RESOURCE_EXHAUSTED. The defaults keep a 2-core server with a 4 GiB heap up:
 * a request's own arrays stay in the hundreds of megabytes at most, and its model rows stream
 * through the bounded scheduler queue.
 *
 * @param maxMessageBytes   largest request message
 * @param maxInstances      instances per request
 * @param maxFeatures       features (or feature groups) a perturbation method plays with; its
 *                          regressions and coalitions grow with this number
 * @param maxBackgroundRows rows of an inline background
 * @param maxSamples        a method's sample budget: kernel_shap.nsamples, lime.num_samples,
 *                          permutation_shap.max_evals and npermutations, integrated_gradients.n_steps
 * @param maxEvaluations    model rows one request may need in all
 */
public record RequestLimits(int maxMessageBytes, int maxInstances, int maxFeatures, int maxBackgroundRows,
                            long maxSamples, long maxEvaluations) {
    public static final RequestLimits DEFAULTS = new RequestLimits(64 * 1024 * 1024, 10_000, 2_000, 10_000,
            1_000_000, 1_000_000_000L);

    public RequestLimits {
        if (maxMessageBytes < 1024 || maxInstances < 1 || maxFeatures < 1 || maxBackgroundRows < 1
                || maxSamples < 1 || maxEvaluations < 1) {
            throw new IllegalArgumentException("request limits must be positive (and the message limit at least"
                    + " 1024 bytes): " + this);
        }
    }

    public RequestLimits withMaxEvaluations(long evaluations) {
        return new RequestLimits(maxMessageBytes, maxInstances, maxFeatures, maxBackgroundRows, maxSamples,
                evaluations);
    }
}
