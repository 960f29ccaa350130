package dev.prism.explain.tree;

import dev.prism.linalg.Cancellation;
import dev.prism.model.Background;
import dev.prism.model.trees.Trees;

/**
 * What the path-dependent walks ({@link PathDependentTreeShap}, {@link PathDependentTreeShapInteractions})
 * need of an ensemble before any instance: its paths' covers, counted from a background or stated
 * by the model, the quadrature rules exact for its widest path, and v(∅).
 *
 * @param maxPlayers the most distinct features on one path: min(features, longest path)
 * @param rules      [d] the rule exact for a leaf with d distinct features: ⌈d/2⌉ points
 * @param empty      v(∅) per target, then the reach game's
 */
record PathDependentGame(Trees trees, int features, int maxPlayers, PathCovers covers, GaussLegendre[] rules,
                         double[] empty) {

    /**
     * Counts the covers of the ensemble's paths over the background rows.
     *
     * @param cancellation asked before each background row
     * @throws IllegalArgumentException when the ensemble does not fit the input or loops, when the
     *                                  rows have another width, or when its DAGs unfold to more path
     *                                  nodes than an array holds
     */
    static PathDependentGame counted(Trees trees, int features, Background coverRows, Cancellation cancellation) {
        int maxPlayers = Math.min(features, EnsembleCheck.longestPath(trees, features));
        return of(trees, features, maxPlayers, new PathCovers(trees, features, coverRows, cancellation));
    }

    /** With the covers the model states per node (see {@link dev.prism.model.trees.TreeEnsemble#covers}). */
    static PathDependentGame stated(Trees trees, int features, double[] nodeCovers) {
        int maxPlayers = Math.min(features, EnsembleCheck.longestPath(trees, features));
        return of(trees, features, maxPlayers, new PathCovers(trees, nodeCovers));
    }

    private static PathDependentGame of(Trees trees, int features, int maxPlayers, PathCovers covers) {
        return new PathDependentGame(trees, features, maxPlayers, covers, GaussLegendre.exactUpTo(maxPlayers),
                covers.emptyCoalition(true));
    }
}
