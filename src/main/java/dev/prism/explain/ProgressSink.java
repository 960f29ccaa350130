package dev.prism.explain;

/**
 * Where an explainer reports how far it is. Calls come from the explainer's thread; an
 * implementation keeps only the latest state and must not block.
 */
public interface ProgressSink {
    ProgressSink NONE = new ProgressSink() {
        @Override
        public void total(long evaluations) {}

        @Override
        public void advance(long evaluations) {}

        @Override
        public void estimate(int instance, int output, double[] attributions, double[] standardErrors) {}

        @Override
        public boolean wantsEstimates() {
            return false;
        }
    };

    /** The model rows the whole request will evaluate (may be revised). */
    void total(long evaluations);

    /** Adds model rows just evaluated. */
    void advance(long evaluations);

    /** The current estimate of one instance's attributions for one score column. */
    void estimate(int instance, int output, double[] attributions, double[] standardErrors);

    /** False when nobody reads running estimates, so explainers can skip computing them. */
    default boolean wantsEstimates() {
        return true;
    }
}
