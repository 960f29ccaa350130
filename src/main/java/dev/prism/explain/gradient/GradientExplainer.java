package dev.prism.explain.gradient;

import dev.prism.explain.Explainer;
import dev.prism.model.AttributionKind;

/**
 * An explainer that runs on a model's attribution graph rather than the model: the runner it is
 * given must evaluate rows of {@link #kind()}'s layout (for the score output or the logits, as the
 * request chose).
 *
 * @param <P> the method's parameters
 */
public interface GradientExplainer<P> extends Explainer<P> {

    /** The graph the explainer's rows are laid out for. */
    AttributionKind kind();
}
