package dev.prism.explain.shap;

import dev.prism.explain.tree.ServedEnsemble;
import java.util.Optional;

/**
 * What {@code auto} chooses from: the model's tree ensemble as tree_shap serves it, when it has one
 * whose trees tree_shap reads.
 */
public record AutoParams(Optional<ServedEnsemble> ensemble) {
    /** For a model without trees. */
    public static final AutoParams NO_TREES = new AutoParams(Optional.empty());
}
