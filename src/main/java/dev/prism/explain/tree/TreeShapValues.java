package dev.prism.explain.tree;

/**
 * Shapley values of one instance's tree margins: {@code base[k] + Σ_f values[k][f]} is the margin
 * of target k at the instance.
 *
 * @param values  [target][feature], a feature being an element of the flattened input
 * @param base    [target], the value of the empty coalition
 * @param margins [target], the instance's margins when the algorithm found them on its way (as
 *                {@link dev.prism.model.trees.TreeEnsemble#margins} computes them), else null
 */
public record TreeShapValues(double[][] values, double[] base, double[] margins) {
    /** Values without the instance's margins. */
    public TreeShapValues(double[][] values, double[] base) {
        this(values, base, null);
    }
}
