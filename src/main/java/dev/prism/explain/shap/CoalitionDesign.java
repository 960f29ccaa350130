package dev.prism.explain.shap;

import dev.prism.linalg.Cancellation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The coalitions KernelSHAP evaluates for M features, with shap's KernelExplainer weights:
 * coalition sizes s and M−s share the Shapley-kernel mass (M−1)/(s(M−s)); sizes are enumerated
 * completely from the smallest while the budget covers them, and the rest is sampled, each draw
 * adding a random coalition of a size drawn in proportion to its remaining mass together with its
 * complement. Unlike shap, the middle size of an even M is paired too, which makes every game with
 * interactions of order ≤ 2 exact.
 *
 * <p>Sampled draws are split into consecutive groups. Each group yields an independent
 * sub-estimate (for standard errors) and a prefix of the groups a running estimate, because masks
 * are numbered in order of first draw.
 */
final class CoalitionDesign {
    /** Draw groups of the default design: enough for standard errors by batch means. */
    static final int DEFAULT_GROUPS = 16;

    final int m;
    /** Distinct coalitions in evaluation order: enumerated ones first, then by first draw. */
    final List<boolean[]> masks = new ArrayList<>();
    /** Kernel weight of each enumerated mask (indices below {@link #enumerated}). */
    final List<Double> enumeratedWeights = new ArrayList<>();
    int enumerated;
    /** Every coalition was enumerated: the estimate is exact. */
    boolean complete;
    /** Kernel mass of the sampled sizes, shared out over the draws. */
    double sampledMass;
    /** Number of draw groups; 0 when nothing was sampled. */
    int groups;
    /** For each mask, the groups that drew it and how often: parallel lists. */
    final List<int[]> drawGroups = new ArrayList<>();
    final List<double[]> drawCounts = new ArrayList<>();
    /** Sum of the draw counts in each group. */
    double[] groupCounts;
    /** Masks needed before group g's draws are all evaluated. */
    int[] groupEnd;
    /**
     * Weights of the sampled masks (from index {@link #enumerated}) in the estimate from every
     * group, when that is not the group average (Leverage SHAP's Horvitz–Thompson weights); else null.
     */
    List<Double> fullSampleWeights;
    /**
     * When kept: the mask of each sampled draw in draw order, and its complement's (−1 when that
     * was dropped at the end of the budget); else null.
     */
    int[] drawFirst;
    int[] drawSecond;

    /** Checked as coalitions are enumerated, drawn and grouped. */
    private Cancellation cancellation = Cancellation.NEVER;

    private CoalitionDesign(int m) {
        this.m = m;
    }

    static CoalitionDesign build(int m, long nsamples, SplittableRandom rng) {
        return build(m, nsamples, rng, false);
    }

    /**
     * The same design; {@code keepDraws} keeps the masks of every draw ({@link #drawFirst},
     * {@link #drawSecond}) for a finer grouping of the same draws.
     */
    static CoalitionDesign build(int m, long nsamples, SplittableRandom rng, boolean keepDraws) {
        return build(m, nsamples, rng, keepDraws, Cancellation.NEVER);
    }

    /** As {@link #build(int, long, SplittableRandom, boolean)}, stopping when the request is cancelled. */
    static CoalitionDesign build(int m, long nsamples, SplittableRandom rng, boolean keepDraws,
                                 Cancellation cancellation) {
        if (m < 2) {
            throw new IllegalArgumentException("a design needs at least two features");
        }
        CoalitionDesign d = new CoalitionDesign(m);
        d.cancellation = cancellation;
        int sizes = (m - 1) / 2 + (m % 2 == 0 ? 1 : 0); // 1..sizes; the middle size is included for even M
        double[] mass = new double[sizes + 1];
        double total = 0;
        for (int s = 1; s <= sizes; s++) {
            mass[s] = (m - 1.0) / (s * (double) (m - s)) * (s < m - s ? 2 : 1);
            total += mass[s];
        }
        for (int s = 1; s <= sizes; s++) {
            mass[s] /= total;
        }

        long left = nsamples;
        double[] remaining = mass.clone();
        int firstSampled = 1;
        for (int s = 1; s <= sizes; s++) {
            double count = binomial(m, s) * (s < m - s ? 2 : 1);
            if (left * remaining[s] / count < 1 - 1e-8) {
                break;
            }
            double w = mass[s] / binomial(m, s) / (s < m - s ? 2 : 1);
            d.enumerateSize(s, w);
            left -= (long) count;
            if (remaining[s] < 1) {
                double scale = 1 - remaining[s];
                for (int t = s + 1; t <= sizes; t++) {
                    remaining[t] /= scale;
                }
            }
            firstSampled = s + 1;
        }
        d.enumerated = d.masks.size();
        if (firstSampled > sizes) {
            d.complete = true;
            return d;
        }
        for (int s = firstSampled; s <= sizes; s++) {
            d.sampledMass += mass[s];
        }
        if (left > 0) {
            d.sample(left, firstSampled, sizes, mass, rng, keepDraws);
        }
        return d;
    }

    /** Exactly the given coalitions with the given kernel weights (test mode), nothing sampled. */
    static CoalitionDesign explicit(int m, List<boolean[]> masks, double[] weights) {
        CoalitionDesign d = new CoalitionDesign(m);
        for (int j = 0; j < masks.size(); j++) {
            d.addEnumerated(masks.get(j).clone(), weights[j]);
        }
        d.enumerated = d.masks.size();
        return d;
    }

    /**
     * A Leverage SHAP design in this form: its enumerated masks, then its sampled masks group by
     * group, each group's masks weighted as that group's own Horvitz–Thompson estimate (so a group
     * is an independent sub-estimate and a prefix of groups averages them), and the design's own
     * weights for the final estimate.
     */
    static CoalitionDesign fromLeverage(LeverageDesign leverage) {
        return fromLeverage(leverage, Cancellation.NEVER);
    }

    /** As {@link #fromLeverage(LeverageDesign)}, stopping when the request is cancelled. */
    static CoalitionDesign fromLeverage(LeverageDesign leverage, Cancellation cancellation) {
        CoalitionDesign d = new CoalitionDesign(leverage.features());
        d.cancellation = cancellation;
        List<boolean[]> masks = leverage.masks();
        for (int i = 0; i < leverage.size(); i++) {
            if (leverage.isEnumerated(i)) {
                d.addEnumerated(masks.get(i), leverage.weight(i));
            }
        }
        d.enumerated = d.masks.size();
        if (leverage.complete() || leverage.groups() == 0) {
            d.complete = leverage.complete();
            return d;
        }
        d.groups = leverage.groups();
        d.groupCounts = new double[d.groups];
        Arrays.fill(d.groupCounts, 1);
        d.sampledMass = 1;
        d.groupEnd = new int[d.groups];
        d.fullSampleWeights = new ArrayList<>();
        // One pass to bucket the sampled coalitions by group (in mask order within each): with the
        // many small groups of an anytime design, a scan per group would cost groups × coalitions.
        List<List<Integer>> members = new ArrayList<>(d.groups);
        for (int g = 0; g < d.groups; g++) {
            members.add(new ArrayList<>());
        }
        for (int i = 0; i < leverage.size(); i++) {
            if (!leverage.isEnumerated(i)) {
                members.get(leverage.group(i)).add(i);
            }
        }
        for (int g = 0; g < d.groups; g++) {
            for (int i : members.get(g)) {
                if (d.masks.size() % LeverageDesign.CANCELLATION_STRIDE == 0) {
                    cancellation.throwIfCancelled();
                }
                d.masks.add(masks.get(i));
                d.drawGroups.add(new int[] {g});
                d.drawCounts.add(new double[] {leverage.groupWeight(i)});
                d.fullSampleWeights.add(leverage.weight(i));
            }
            d.groupEnd[g] = d.masks.size();
        }
        return d;
    }

    /** Every mask's {@link #finalWeight}, in mask order. */
    double[] finalWeights() {
        double[] w = new double[masks.size()];
        for (int j = 0; j < w.length; j++) {
            w[j] = finalWeight(j);
        }
        return w;
    }

    /** The weight of mask j in the estimate that uses every mask of the design. */
    double finalWeight(int j) {
        if (j < enumerated) {
            return enumeratedWeights.get(j);
        }
        if (fullSampleWeights != null) {
            return fullSampleWeights.get(j - enumerated);
        }
        double totalCounts = 0;
        for (double c : groupCounts) {
            totalCounts += c;
        }
        double w = 0;
        for (double c : drawCounts.get(j)) {
            w += c;
        }
        return w * sampledMass / totalCounts;
    }

    private void enumerateSize(int s, double weight) {
        int[] idx = new int[s];
        for (int i = 0; i < s; i++) {
            idx[i] = i;
        }
        while (true) {
            boolean[] z = new boolean[m];
            for (int i : idx) {
                z[i] = true;
            }
            addEnumerated(z, weight);
            if (s < m - s) {
                boolean[] c = new boolean[m];
                for (int i = 0; i < m; i++) {
                    c[i] = !z[i];
                }
                addEnumerated(c, weight);
            }
            // next combination in lexicographic order
            int i = s - 1;
            while (i >= 0 && idx[i] == m - s + i) {
                i--;
            }
            if (i < 0) {
                return;
            }
            idx[i]++;
            for (int j = i + 1; j < s; j++) {
                idx[j] = idx[j - 1] + 1;
            }
        }
    }

    private void addEnumerated(boolean[] z, double weight) {
        if (masks.size() % LeverageDesign.CANCELLATION_STRIDE == 0) {
            cancellation.throwIfCancelled();
        }
        masks.add(z);
        enumeratedWeights.add(weight);
        drawGroups.add(new int[0]);
        drawCounts.add(new double[0]);
    }

    /** Paired draws until {@code left} new masks are found, at most 4·left draws (as shap). */
    private void sample(long left, int firstSize, int lastSize, double[] mass, SplittableRandom rng,
                        boolean keepDraws) {
        double[] cumulative = new double[lastSize + 1];
        double acc = 0;
        for (int s = firstSize; s <= lastSize; s++) {
            acc += mass[s];
            cumulative[s] = acc;
        }
        MaskIndex index = new MaskIndex(m);
        // Per draw: the masks it touched (second −1 when the complement was dropped), masks after it.
        int capacity = (int) Math.min(left, 1 << 20);
        int[] first = new int[capacity];
        int[] second = new int[capacity];
        int[] masksAfterDraw = new int[capacity];
        int draws = 0;
        long maxDraws = 4 * left;
        int[] perm = new int[m];
        for (long draw = 0; draw < maxDraws && left > 0; draw++) {
            if (draw % LeverageDesign.CANCELLATION_STRIDE == 0) {
                cancellation.throwIfCancelled();
            }
            double u = rng.nextDouble() * acc;
            int s = firstSize;
            while (s < lastSize && cumulative[s] <= u) {
                s++;
            }
            boolean[] z = randomSubset(s, perm, rng);
            int before = masks.size();
            int a = index.touch(z, masks);
            left -= masks.size() - before;
            int b = -1;
            if (left > 0) { // as shap: the complement of the last new mask is dropped when the budget is spent
                boolean[] c = new boolean[m];
                for (int i = 0; i < m; i++) {
                    c[i] = !z[i];
                }
                before = masks.size();
                b = index.touch(c, masks);
                left -= masks.size() - before;
            }
            if (draws == first.length) {
                first = Arrays.copyOf(first, 2 * draws);
                second = Arrays.copyOf(second, 2 * draws);
                masksAfterDraw = Arrays.copyOf(masksAfterDraw, 2 * draws);
            }
            first[draws] = a;
            second[draws] = b;
            masksAfterDraw[draws] = masks.size();
            draws++;
        }
        assignGroups(draws, first, second, masksAfterDraw);
        if (keepDraws) {
            drawFirst = Arrays.copyOf(first, draws);
            drawSecond = Arrays.copyOf(second, draws);
        }
    }

    /** Distinct masks by content: a long per mask up to 64 features, else a BitSet. */
    private static final class MaskIndex {
        private final int m;
        private final Map<Long, Integer> small = new HashMap<>();
        private final Map<BitSet, Integer> large = new HashMap<>();

        MaskIndex(int m) {
            this.m = m;
        }

        /** Adds z to masks if unseen; returns its index. */
        int touch(boolean[] z, List<boolean[]> masks) {
            Integer at;
            if (m <= 64) {
                long bits = 0;
                for (int i = 0; i < m; i++) {
                    bits |= z[i] ? 1L << i : 0;
                }
                at = small.putIfAbsent(bits, masks.size());
            } else {
                BitSet bits = new BitSet(m);
                for (int i = 0; i < m; i++) {
                    if (z[i]) {
                        bits.set(i);
                    }
                }
                at = large.putIfAbsent(bits, masks.size());
            }
            if (at == null) {
                masks.add(z);
                return masks.size() - 1;
            }
            return at;
        }
    }

    private boolean[] randomSubset(int s, int[] perm, SplittableRandom rng) {
        for (int i = 0; i < m; i++) {
            perm[i] = i;
        }
        boolean[] z = new boolean[m];
        for (int i = 0; i < s; i++) {
            int j = i + rng.nextInt(m - i);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
            z[perm[i]] = true;
        }
        return z;
    }

    private void assignGroups(int draws, int[] first, int[] second, int[] masksAfterDraw) {
        groups = Math.max(1, Math.min(DEFAULT_GROUPS, draws / m));
        groupCounts = new double[groups];
        groupEnd = new int[groups];
        int sampled = masks.size() - enumerated;
        int[][] groupsOf = new int[sampled][];
        double[][] countsOf = new double[sampled][];
        // Draws come in group order, so a mask's groups arrive sorted: a draw either adds to the
        // mask's last group or opens the next one. Most masks are drawn once.
        for (int t = 0; t < draws; t++) {
            int g = (int) ((long) t * groups / draws);
            groupEnd[g] = masksAfterDraw[t];
            for (int mask : second[t] < 0 ? new int[] {first[t]} : new int[] {first[t], second[t]}) {
                groupCounts[g]++;
                int i = mask - enumerated;
                int[] gs = groupsOf[i];
                if (gs == null) {
                    groupsOf[i] = new int[] {g};
                    countsOf[i] = new double[] {1};
                } else if (gs[gs.length - 1] == g) {
                    countsOf[i][gs.length - 1]++;
                } else {
                    groupsOf[i] = Arrays.copyOf(gs, gs.length + 1);
                    groupsOf[i][gs.length] = g;
                    countsOf[i] = Arrays.copyOf(countsOf[i], gs.length + 1);
                    countsOf[i][gs.length] = 1;
                }
            }
        }
        for (int i = 0; i < sampled; i++) {
            drawGroups.add(groupsOf[i]);
            drawCounts.add(countsOf[i]);
        }
    }

    static double binomial(int n, int k) {
        double r = 1;
        for (int i = 1; i <= k; i++) {
            r = r * (n - k + i) / i;
        }
        return Math.rint(r);
    }
}
