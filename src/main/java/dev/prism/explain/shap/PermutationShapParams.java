package dev.prism.explain.shap;

/**
 * Permutation SHAP parameters.
 *
 * @param maxEvals      shap's budget: npermutations = max(2, maxEvals / (2M + 1)); 0 means {@value #DEFAULT_MAX_EVALS}
 * @param npermutations permutations per instance, overriding maxEvals; 0 = from maxEvals
 */
public record PermutationShapParams(long maxEvals, int npermutations) {
    public static final long DEFAULT_MAX_EVALS = 500;
    public static final long MAX_MAX_EVALS = 10_000_000;
    public static final int MAX_NPERMUTATIONS = 100_000;
    public static final PermutationShapParams DEFAULTS = new PermutationShapParams(0, 0);

    /** Permutations per instance for M varying players. */
    public int permutations(int m) {
        if (npermutations > 0) {
            return npermutations;
        }
        long evals = maxEvals == 0 ? DEFAULT_MAX_EVALS : maxEvals;
        return (int) Math.max(2, evals / (2L * m + 1));
    }

    /** Coalitions one permutation evaluates: the empty and the full one are known already. */
    public static long coalitionsPerPermutation(int m) {
        return 2L * m - 2;
    }

    /** An upper bound of the coalitions per instance over every M up to {@code features}. */
    public long maxCoalitions(int features) {
        long perPermutation = coalitionsPerPermutation(features);
        if (npermutations > 0) {
            return npermutations * perPermutation;
        }
        // P(M) from maxEvals spends under maxEvals; the floor of 2 permutations costs 2·(2M − 2) ≤ 2·(2F − 2).
        return Math.max(maxEvals == 0 ? DEFAULT_MAX_EVALS : maxEvals, 2 * perPermutation);
    }
}
