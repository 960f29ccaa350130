package dev.prism.explain.tree;

import dev.prism.model.trees.TreeEnsemble;

/**
 * What tree_shap runs on and how: the request's model's tree ensemble as the server serves it, the
 * game, the output space, whether interaction values are wanted, and whether the path-dependent
 * game takes the model's stated covers instead of the background's.
 */
public record TreeShapParams(ServedEnsemble ensemble, Game game, Output output, boolean interactions,
                             boolean modelCovers) {

    /** Which game the values solve. */
    public enum Game {
        /** v(S) = Σ_r w_r margin(x_S, r_S̄): exact marginal Shapley values over the background. */
        INTERVENTIONAL,
        /** shap's tree_path_dependent game with covers counted from the background. */
        PATH_DEPENDENT
    }

    /** The space the values are in. */
    public enum Output {
        MARGIN,
        /** shap's model_output="probability": a per-row rescaling of the margin's values, not exact. */
        RESCALED
    }

    /** The defaults: interventional values of the margin, no interactions. */
    public TreeShapParams(ServedEnsemble ensemble) {
        this(ensemble, Game.INTERVENTIONAL, Output.MARGIN, false, false);
    }

    public TreeEnsemble trees() {
        return ensemble.trees();
    }
}
