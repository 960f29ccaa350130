package dev.prism.explain.tree;

/**
 * Shapley values of one instance's tree margins: {@code base[k] + Σ_f values[k][f]} is the margin
 * of target k at the instance.
 *
 * @param values [target][feature], a feature being an element of the flattened input
 * @param base   [target], the value of the empty coalition
 */
public record TreeShapValues(double[][] values, double[] base) {
}
