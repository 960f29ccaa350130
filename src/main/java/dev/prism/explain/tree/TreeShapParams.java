package dev.prism.explain.tree;

/**
 * What tree_shap runs on: the request's model's tree ensemble as the server serves it (the
 * request's own parameters message has no fields yet).
 */
public record TreeShapParams(ServedEnsemble ensemble) {
    public dev.prism.model.trees.TreeEnsemble trees() {
        return ensemble.trees();
    }
}
