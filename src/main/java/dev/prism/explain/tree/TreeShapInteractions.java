package dev.prism.explain.tree;

/**
 * Shapley interaction values of one instance's tree margins: {@code values[k][i][j]} for i ≠ j is half
 * the Shapley interaction index of features i and j in target k's game (so the pair's two entries
 * add up to the index), and {@code values[k][i][i]} is φ_i less the rest of row i, so each row sums to
 * the feature's Shapley value and the whole matrix to the margin over the base.
 *
 * @param values [target][feature][feature], a feature being an element of the flattened input
 * @param base   [target], the value of the empty coalition
 */
public record TreeShapInteractions(double[][][] values, double[] base) {
}
