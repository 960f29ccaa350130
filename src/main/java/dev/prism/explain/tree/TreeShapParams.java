package dev.prism.explain.tree;

import dev.prism.model.trees.TreeEnsemble;

/**
 * What tree_shap runs on: the tree ensemble of the request's model, bound by the server from the
 * model it serves (the request's own parameters message has no fields yet).
 */
public record TreeShapParams(TreeEnsemble trees) {
}
