package dev.prism.explain.shap;

import dev.prism.linalg.Cancellation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The coalitions of Leverage SHAP (Musco and Witter, ICLR 2025) for M features. The leverage
 * scores of the constrained Shapley regression are proportional to 1/C(M,|z|), so every size
 * 1..M−1 gets the same share of the budget: a level c with Σ_s min(c, C(M,s)) = budget is
 * found, sizes with C(M,s) ≤ c are enumerated completely, and the others receive about c
 * coalitions each, drawn uniformly without replacement. Sampling is paired: a coalition always
 * comes with its complement, so sizes s and M−s get equal counts (for even M the middle size
 * draws complementary pairs).
 *
 * <p>A coalition z of size s in the design gets the Horvitz–Thompson weight
 * w(z) = 1 / (C(M,s)·s·(M−s)·p_s) = 1 / (count_s·s·(M−s)), where p_s = count_s / C(M,s) is
 * its inclusion probability; these are the Shapley-kernel weights corrected for sampling, for a
 * weighted least squares with Σφ = Δ. When every coalition is enumerated they are the Shapley
 * kernel itself.
 *
 * <p>A herded design ({@link PairHerding}, the default estimator's) chooses its sampled pairs so
 * that the design's second moments match the kernel's, with the same counts per size and the same
 * inclusion probability for every coalition of a size.
 *
 * <p>Sampled pairs are dealt round-robin to at most 16 groups. Each group with the enumerated
 * coalitions is a smaller design of the same kind, with its own Horvitz–Thompson weights; its
 * estimates scatter like independent ones, which gives standard errors.
 */
public final class LeverageDesign {
    /** Rejection sampling is used while the wanted pairs are at most this share of a size's pairs. */
    private static final double REJECTION_SHARE = 0.25;

    private final int m;
    private final List<boolean[]> masks = new ArrayList<>();
    private final List<Integer> maskSizes = new ArrayList<>();
    private final List<Integer> maskGroups = new ArrayList<>();
    private final long[] countBySize;
    /** Checked as coalitions are drawn and added: building a large design is work a cancellation stops. */
    private Cancellation cancellation = Cancellation.NEVER;
    private int enumerated;
    private boolean complete;
    private int groups;
    /** Masks of each size in each group, [group][size]. */
    private long[][] groupCounts;

    /** Coalitions between two looks at the cancellation. */
    static final int CANCELLATION_STRIDE = 256;

    private LeverageDesign(int m) {
        this.m = m;
        this.countBySize = new long[m + 1];
    }

    /**
     * Builds a design.
     *
     * @param features the number of features M (at least 2)
     * @param budget   coalitions to evaluate besides the empty and the full one; rounded down to
     *                 an even number (pairs), at least 2; 2^M − 2 or more enumerates everything
     * @param rng      the randomness of the draws: the same seed gives the same design
     */
    public static LeverageDesign build(int features, long budget, SplittableRandom rng) {
        return build(features, budget, rng, Cancellation.NEVER, false);
    }

    /**
     * As {@link #build(int, long, SplittableRandom)}, stopping when the request is cancelled;
     * {@code herded} chooses the sampled pairs by {@link PairHerding} instead of uniformly.
     */
    public static LeverageDesign build(int features, long budget, SplittableRandom rng, Cancellation cancellation,
                                       boolean herded) {
        if (features < 2) {
            throw new IllegalArgumentException("a design needs at least two features, got " + features);
        }
        if (budget < 2) {
            throw new IllegalArgumentException("the budget must be at least 2 coalitions, got " + budget);
        }
        LeverageDesign d = new LeverageDesign(features);
        d.cancellation = cancellation;
        Classes classes = new Classes(features);
        long[] pairs = classes.allocate(budget - budget % 2, rng);
        boolean allEnumerated = true;
        for (int c = 0; c < classes.count(); c++) {
            allEnumerated &= pairs[c] == classes.capacity(c);
        }
        for (int c = 0; c < classes.count(); c++) {
            if (pairs[c] == classes.capacity(c)) {
                d.addEnumerated(classes, c);
            }
        }
        d.enumerated = d.masks.size();
        d.complete = allEnumerated;
        List<List<int[]>> drawn = herded ? d.herd(classes, pairs, rng) : d.drawEach(classes, pairs, rng);
        long sampledPairs = 0;
        for (List<int[]> reps : drawn) {
            sampledPairs += reps.size();
        }
        d.addSampled(classes, drawn, sampledPairs);
        return d;
    }

    /** Each sampled class's pairs drawn uniformly without replacement, class by class. */
    private List<List<int[]>> drawEach(Classes classes, long[] pairs, SplittableRandom rng) {
        List<List<int[]>> drawn = new ArrayList<>();
        for (int c = 0; c < classes.count(); c++) {
            boolean whole = pairs[c] == classes.capacity(c);
            drawn.add(whole || pairs[c] == 0 ? List.of() : draw(classes, c, (int) pairs[c], rng));
        }
        return drawn;
    }

    /** The sampled classes' pairs chosen together by {@link PairHerding}. */
    private List<List<int[]>> herd(Classes classes, long[] pairs, SplittableRandom rng) {
        List<PairHerding.PairClass> sampled = new ArrayList<>();
        List<Integer> index = new ArrayList<>();
        for (int c = 0; c < classes.count(); c++) {
            if (pairs[c] == 0 || pairs[c] == classes.capacity(c)) {
                continue;
            }
            int s = classes.size(c);
            double coalitionsOfSize = (double) pairs[c] * classes.perSize(c);
            sampled.add(new PairHerding.PairClass(classes.poolSize(c), classes.pick(c), classes.fixesLast(c),
                    classes.capacity(c), (int) pairs[c], 1.0 / (coalitionsOfSize * s * (m - s))));
            index.add(c);
        }
        if (PairHerding.candidates(m, sampled) < 2) {
            return drawEach(classes, pairs, rng);
        }
        List<List<int[]>> chosen = PairHerding.draw(m, sampled, rng, cancellation);
        List<List<int[]>> drawn = new ArrayList<>();
        for (int c = 0; c < classes.count(); c++) {
            drawn.add(List.of());
        }
        for (int i = 0; i < index.size(); i++) {
            drawn.set(index.get(i), chosen.get(i));
        }
        return drawn;
    }

    /** The number of features M. */
    public int features() {
        return m;
    }

    /**
     * The coalitions: the enumerated ones first, then the sampled ones; each coalition is directly
     * followed by its complement.
     */
    public List<boolean[]> masks() {
        return Collections.unmodifiableList(masks);
    }

    /** Number of coalitions. */
    public int size() {
        return masks.size();
    }

    /** True when b is a's complement. */
    static boolean complementary(boolean[] a, boolean[] b) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b[i]) {
                return false;
            }
        }
        return true;
    }

    /** The Horvitz–Thompson weight of one coalition. */
    public double weight(int mask) {
        int s = maskSizes.get(mask);
        return 1.0 / (countBySize[s] * (double) s * (m - s));
    }

    /** Every coalition's weight, in mask order. */
    public double[] weights() {
        double[] w = new double[masks.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = weight(i);
        }
        return w;
    }

    /** Coalitions [0, enumerated()) belong to completely enumerated sizes, the rest were sampled. */
    public int enumerated() {
        return enumerated;
    }

    public boolean isEnumerated(int mask) {
        return mask < enumerated;
    }

    /** Every coalition of sizes 1..M−1 is in the design: the regression gives exact Shapley values. */
    public boolean complete() {
        return complete;
    }

    /** Number of coalitions of the given size in the design. */
    public long count(int size) {
        return countBySize[size];
    }

    /** Probability that a given coalition of this size is in the design: count / C(M, size). */
    public double inclusionProbability(int size) {
        if (size <= 0 || size >= m) {
            throw new IllegalArgumentException("sizes run from 1 to " + (m - 1) + ", got " + size);
        }
        return countBySize[size] / binomial(m, size);
    }

    /** Number of groups of sampled pairs; 0 when nothing was sampled. */
    public int groups() {
        return groups;
    }

    /** The group of a sampled coalition, −1 for an enumerated one. */
    public int group(int mask) {
        return maskGroups.get(mask);
    }

    /**
     * The weights of sub-design {@code group}: the enumerated coalitions keep their weight, the
     * group's coalitions get 1 / (count_{s,g}·s·(M−s)) with count_{s,g} the group's coalitions of
     * their size, and the other groups' coalitions 0.
     */
    public double[] groupWeights(int group) {
        if (group < 0 || group >= groups) {
            throw new IllegalArgumentException("group " + group + " of " + groups);
        }
        double[] w = new double[masks.size()];
        for (int i = 0; i < w.length; i++) {
            int s = maskSizes.get(i);
            if (i < enumerated) {
                w[i] = weight(i);
            } else if (maskGroups.get(i) == group) {
                w[i] = 1.0 / (groupCounts[group][s] * (double) s * (m - s));
            }
        }
        return w;
    }

    /** A sampled coalition's weight in its own group's sub-design (see {@link #groupWeights}). */
    public double groupWeight(int mask) {
        int g = maskGroups.get(mask);
        if (mask < enumerated || g < 0) {
            throw new IllegalArgumentException("coalition " + mask + " is enumerated, not sampled");
        }
        int s = maskSizes.get(mask);
        return 1.0 / (groupCounts[g][s] * (double) s * (m - s));
    }

    private void addEnumerated(Classes classes, int c) {
        forEachCombination(classes.poolSize(c), classes.pick(c), rep -> addPair(classes, c, rep, -1));
    }

    /** Adds the sampled pairs class by class, dealing them to the groups in turn. */
    private void addSampled(Classes classes, List<List<int[]>> drawn, long sampledPairs) {
        groups = sampledPairs == 0 ? 0
                : (int) Math.max(1, Math.min(CoalitionDesign.DEFAULT_GROUPS, sampledPairs / m));
        groupCounts = new long[groups][m + 1];
        long dealt = 0;
        for (int c = 0; c < drawn.size(); c++) {
            for (int[] rep : drawn.get(c)) {
                int g = (int) (dealt++ % groups);
                addPair(classes, c, rep, g);
                groupCounts[g][classes.size(c)]++;
                groupCounts[g][m - classes.size(c)]++;
            }
        }
    }

    /** Adds a representative of class c and its complement. */
    private void addPair(Classes classes, int c, int[] rep, int group) {
        boolean[] z = new boolean[m];
        for (int i : rep) {
            z[i] = true;
        }
        if (classes.fixesLast(c)) {
            z[m - 1] = true;
        }
        boolean[] complement = new boolean[m];
        for (int i = 0; i < m; i++) {
            complement[i] = !z[i];
        }
        int s = classes.size(c);
        add(z, s, group);
        add(complement, m - s, group);
    }

    private void add(boolean[] z, int size, int group) {
        if (masks.size() % CANCELLATION_STRIDE == 0) {
            cancellation.throwIfCancelled();
        }
        masks.add(z);
        maskSizes.add(size);
        maskGroups.add(group);
        countBySize[size]++;
    }

    /** {@code wanted} distinct representatives of class c, uniformly at random, in random order. */
    private List<int[]> draw(Classes classes, int c, int wanted, SplittableRandom rng) {
        int pool = classes.poolSize(c);
        int pick = classes.pick(c);
        List<int[]> out = new ArrayList<>(wanted);
        if (wanted <= REJECTION_SHARE * classes.capacity(c)) {
            Set<BitSet> seen = new HashSet<>();
            int[] perm = new int[pool];
            for (int i = 0; i < pool; i++) {
                perm[i] = i;
            }
            while (out.size() < wanted) {
                if (out.size() % CANCELLATION_STRIDE == 0) {
                    cancellation.throwIfCancelled();
                }
                // A partial Fisher–Yates shuffle leaves a uniform random subset in front, whatever
                // order the previous draws left the array in.
                for (int i = 0; i < pick; i++) {
                    int j = i + rng.nextInt(pool - i);
                    int t = perm[i];
                    perm[i] = perm[j];
                    perm[j] = t;
                }
                int[] rep = Arrays.copyOf(perm, pick);
                Arrays.sort(rep);
                BitSet key = new BitSet(pool);
                for (int i : rep) {
                    key.set(i);
                }
                if (seen.add(key)) {
                    out.add(rep);
                }
            }
        } else {
            // Selection sampling (Knuth's algorithm S) over all representatives in order: each is
            // kept with probability wanted-left / candidates-left, which keeps exactly `wanted`.
            long capacity = classes.capacity(c);
            long[] visited = {0};
            forEachCombination(pool, pick, rep -> {
                long left = capacity - visited[0]++;
                if ((wanted - out.size()) > rng.nextDouble() * left) {
                    out.add(rep.clone());
                }
            });
            for (int i = out.size() - 1; i > 0; i--) {
                Collections.swap(out, i, rng.nextInt(i + 1));
            }
        }
        return out;
    }

    /** Calls {@code action} with every k-subset of {0..n−1} in lexicographic order (reusing the array). */
    static void forEachCombination(int n, int k, Consumer<int[]> action) {
        int[] idx = new int[k];
        for (int i = 0; i < k; i++) {
            idx[i] = i;
        }
        while (true) {
            action.accept(idx);
            int i = k - 1;
            while (i >= 0 && idx[i] == n - k + i) {
                i--;
            }
            if (i < 0) {
                return;
            }
            idx[i]++;
            for (int j = i + 1; j < k; j++) {
                idx[j] = idx[j - 1] + 1;
            }
        }
    }

    private static double binomial(int n, int k) {
        double r = 1;
        for (int i = 1; i <= k; i++) {
            r = r * (n - k + i) / i;
        }
        return Math.rint(r);
    }

    /**
     * The pair classes: sizes s and M−s for s < M/2, whose pairs are the s-subsets, and for even M
     * the middle size, whose complementary pairs are represented by the (M/2−1)-subsets of the first
     * M−1 features plus the last feature.
     */
    private static final class Classes {
        private final int m;
        private final int count;
        private final long[] capacity;

        Classes(int m) {
            this.m = m;
            this.count = m / 2;
            this.capacity = new long[count];
            for (int c = 0; c < count; c++) {
                capacity[c] = cappedBinomial(poolSize(c), pick(c));
            }
        }

        int count() {
            return count;
        }

        /** The smaller of the class's two sizes. */
        int size(int c) {
            return c + 1;
        }

        boolean isMiddle(int c) {
            return 2 * size(c) == m;
        }

        boolean fixesLast(int c) {
            return isMiddle(c);
        }

        int poolSize(int c) {
            return isMiddle(c) ? m - 1 : m;
        }

        int pick(int c) {
            return isMiddle(c) ? size(c) - 1 : size(c);
        }

        /** Number of distinct pairs in the class (Long.MAX_VALUE standing for "more than any budget"). */
        long capacity(int c) {
            return capacity[c];
        }

        /** Coalitions one pair of the class adds to each of its sizes. */
        int perSize(int c) {
            return isMiddle(c) ? 2 : 1;
        }

        /**
         * Pairs per class for an even budget: a level c (coalitions per size) with
         * Σ_s min(c, C(M,s)) = budget; classes whose sizes fit under c are taken whole, in order
         * of size since C(M,s) grows towards the middle. The rest get c per size, rounded to whole
         * pairs by largest remainder, ties broken at random.
         */
        long[] allocate(long budget, SplittableRandom rng) {
            long[] pairs = new long[count];
            long left = budget;
            int sizesLeft = m - 1;
            int first = 0;
            while (first < count) {
                long sizeTotal = capacity[first] * perSize(first); // coalitions of one of its sizes
                int sizes = isMiddle(first) ? 1 : 2;
                if (capacity[first] == Long.MAX_VALUE || (double) sizeTotal * sizesLeft > left) {
                    break;
                }
                pairs[first] = capacity[first];
                left -= sizeTotal * sizes;
                sizesLeft -= sizes;
                first++;
            }
            if (first == count) {
                return pairs;
            }
            // Level c = left / sizesLeft coalitions per size: c pairs for a two-size class, c/2 for
            // the middle one. Whole parts first, in exact integer arithmetic.
            long leftPairs = left / 2;
            List<Integer> open = new ArrayList<>();
            double[] remainder = new double[count];
            for (int c = first; c < count; c++) {
                long denominator = (long) sizesLeft * perSize(c);
                pairs[c] = left / denominator;
                remainder[c] = (double) (left % denominator) / denominator;
                leftPairs -= pairs[c];
                open.add(c);
            }
            for (int i = open.size() - 1; i > 0; i--) {
                Collections.swap(open, i, rng.nextInt(i + 1));
            }
            open.sort((a, b) -> Double.compare(remainder[b], remainder[a]));
            // Fewer pairs are left than open classes, and each is below its capacity (it did not fit).
            for (int i = 0; i < leftPairs; i++) {
                pairs[open.get(i)]++;
            }
            return pairs;
        }

        /** C(n, k), or Long.MAX_VALUE once it passes 2^62 / n (beyond any budget that fits in memory). */
        private static long cappedBinomial(int n, int k) {
            long limit = (1L << 62) / Math.max(1, n);
            long r = 1;
            for (int i = 1; i <= k; i++) {
                r = r * (n - k + i) / i; // exact: r·(n−k+i) is divisible by i at every step
                if (r > limit) {
                    return Long.MAX_VALUE;
                }
            }
            return r;
        }
    }
}
