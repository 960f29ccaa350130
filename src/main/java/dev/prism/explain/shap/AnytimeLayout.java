package dev.prism.explain.shap;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The order in which an instance evaluates its design's coalitions under a time budget, and a
 * finer split of them into groups, so that the first groups give an estimate with standard errors
 * after a small share of the work. The coalitions are the design's own; the answer once all are
 * evaluated is the design's, solved in the design's order (a budget that suffices changes nothing).
 *
 * <p>The base, evaluated first, holds the size classes the design enumerates with fewer units than
 * there are groups (a unit: a coalition with its complement, or a lone coalition). The other
 * enumerated classes are shuffled and dealt to the groups a unit at a time, and so are a Leverage
 * design's sampled pairs in the order they were drawn; shap's sampled draws are cut into
 * consecutive runs, one per group. In its group a dealt coalition of size s weighs its final
 * weight times N_s / n_s (the dealt coalitions of that size in all, over those in the group): a
 * Horvitz–Thompson weight. A draw weighs the sampled kernel mass over the group's draws. So each
 * group with the base is an unbiased smaller design, and the first g groups average to a running
 * estimate whose spread gives standard errors.
 *
 * <p>The number of groups is the power of two up to {@link #MAX_GROUPS}, with at least M units
 * each, for which the base and two groups (the first estimate) are fewest coalitions.
 */
final class AnytimeLayout {
    static final int MAX_GROUPS = 512;

    /** The design's mask at each evaluation position. */
    final int[] order;
    /** Positions [0, base) are the base; their weights. */
    final int base;
    final double[] baseWeights;
    final int groups;
    /** Positions evaluated before group g is complete. */
    final int[] readyAt;
    /** Group g's entries, [entryStart[g], entryStart[g + 1]): an evaluation position and its weight. */
    final int[] entryStart;
    final int[] entryPosition;
    final double[] entryWeight;

    private AnytimeLayout(int[] order, int base, double[] baseWeights, int[] readyAt, int[] entryStart,
                          int[] entryPosition, double[] entryWeight) {
        this.order = order;
        this.base = base;
        this.baseWeights = baseWeights;
        this.groups = readyAt.length;
        this.readyAt = readyAt;
        this.entryStart = entryStart;
        this.entryPosition = entryPosition;
        this.entryWeight = entryWeight;
    }

    /** Stages are handed out in turns: the base with groups 0 and 1, then one group each. */
    int stages() {
        return groups - 1;
    }

    /** Evaluation positions before the end of stage r. */
    int stageEnd(int r) {
        return readyAt[r + 1];
    }

    /**
     * The layout of a design with sampled coalitions (shap's built with its draws kept), or null
     * when it has none or too few for two groups: then only the whole design gives an estimate.
     *
     * @param rng the shuffles of the dealt classes, independent of the design's draws
     */
    static AnytimeLayout of(CoalitionDesign d, SplittableRandom rng) {
        if (d.complete || d.groups == 0) {
            return null;
        }
        boolean leverage = d.fullSampleWeights != null;
        if (!leverage && d.drawFirst == null) {
            throw new IllegalArgumentException("shap's design needs its draws kept");
        }
        int total = d.masks.size();
        int[] sizes = new int[total];
        for (int j = 0; j < total; j++) {
            sizes[j] = size(d.masks.get(j));
        }
        int[][] units = enumeratedUnits(d, sizes);
        long sampledUnits = leverage ? (total - d.enumerated) / 2 : d.drawFirst.length;

        int groups = 0;
        long best = Long.MAX_VALUE;
        for (int a = MAX_GROUPS; a >= 2; a /= 2) {
            long baseMasks = 0;
            long dealtUnits = sampledUnits;
            for (int[] c : units) {
                if (c.length < a) {
                    baseMasks += masksOf(c);
                } else {
                    dealtUnits += c.length;
                }
            }
            if (dealtUnits / a < d.m) {
                continue;
            }
            long firstEstimate = baseMasks + 2 * ((total - baseMasks + a - 1) / a);
            if (firstEstimate < best) {
                best = firstEstimate;
                groups = a;
            }
        }
        if (groups == 0) {
            return null;
        }
        return build(d, sizes, units, groups, leverage, rng);
    }

    private static AnytimeLayout build(CoalitionDesign d, int[] sizes, int[][] units, int groups, boolean leverage,
                                       SplittableRandom rng) {
        int total = d.masks.size();
        int[] order = new int[total];
        int pos = 0;
        int dealtUnits = leverage ? (total - d.enumerated) / 2 : 0;
        for (int[] c : units) {
            if (c.length < groups) {
                pos += masksOf(c);
            } else {
                dealtUnits += c.length;
            }
        }
        double[] baseWeights = new double[pos];
        pos = 0;
        // The dealt units in dealing order: whole classes shuffled, then a Leverage design's pairs
        // as drawn (its group g holds the draws g, g + G, g + 2G, ... in that order).
        int[] dealt = new int[dealtUnits];
        int dealtCount = 0;
        for (int[] c : units) {
            if (c.length < groups) {
                for (int unit : c) {
                    for (int j = first(unit); j < end(unit); j++) {
                        baseWeights[pos] = d.enumeratedWeights.get(j);
                        order[pos++] = j;
                    }
                }
            } else {
                int[] shuffled = c.clone();
                for (int i = shuffled.length - 1; i > 0; i--) {
                    int k = rng.nextInt(i + 1);
                    int t = shuffled[i];
                    shuffled[i] = shuffled[k];
                    shuffled[k] = t;
                }
                System.arraycopy(shuffled, 0, dealt, dealtCount, shuffled.length);
                dealtCount += shuffled.length;
            }
        }
        int base = pos;
        if (leverage) {
            int pairs = (total - d.enumerated) / 2;
            for (int p = 0; p < pairs; p++) {
                int g = p % d.groups;
                int start = g == 0 ? d.enumerated : d.groupEnd[g - 1];
                dealt[dealtCount++] = unit(start + 2 * (p / d.groups), true);
            }
        }
        long[] dealtOfSize = new long[d.m + 1];
        int dealtMasks = 0;
        for (int unit : dealt) {
            for (int j = first(unit); j < end(unit); j++) {
                dealtOfSize[sizes[j]]++;
                dealtMasks++;
            }
        }
        int draws = leverage ? 0 : d.drawFirst.length;
        int touches = 0;
        for (int t = 0; t < draws; t++) {
            touches += d.drawSecond[t] < 0 ? 1 : 2;
        }

        int[] placedAt = new int[total];
        Arrays.fill(placedAt, -1);
        for (int i = 0; i < base; i++) {
            placedAt[order[i]] = i;
        }
        int[] readyAt = new int[groups];
        int[] entryStart = new int[groups + 1];
        int[] entryPosition = new int[dealtMasks + touches];
        double[] entryWeight = new double[dealtMasks + touches];
        int entries = 0;
        int[] ofSize = new int[d.m + 1];
        for (int g = 0; g < groups; g++) {
            entryStart[g] = entries;
            Arrays.fill(ofSize, 0);
            for (int u = g; u < dealt.length; u += groups) {
                for (int j = first(dealt[u]); j < end(dealt[u]); j++) {
                    ofSize[sizes[j]]++;
                }
            }
            for (int u = g; u < dealt.length; u += groups) {
                for (int j = first(dealt[u]); j < end(dealt[u]); j++) {
                    placedAt[j] = pos;
                    order[pos] = j;
                    entryPosition[entries] = pos++;
                    entryWeight[entries++] = d.finalWeight(j) * dealtOfSize[sizes[j]] / ofSize[sizes[j]];
                }
            }
            int from = (int) ((long) g * draws / groups);
            int to = (int) ((long) (g + 1) * draws / groups);
            int groupTouches = 0;
            for (int t = from; t < to; t++) {
                groupTouches += d.drawSecond[t] < 0 ? 1 : 2;
            }
            for (int t = from; t < to; t++) {
                for (int k = 0; k < 2; k++) {
                    int j = k == 0 ? d.drawFirst[t] : d.drawSecond[t];
                    if (j < 0) {
                        continue;
                    }
                    if (placedAt[j] < 0) {
                        placedAt[j] = pos;
                        order[pos++] = j;
                    }
                    entryPosition[entries] = placedAt[j];
                    entryWeight[entries++] = d.sampledMass / groupTouches;
                }
            }
            readyAt[g] = pos;
        }
        entryStart[groups] = entries;
        if (pos != total) {
            throw new IllegalStateException("the layout placed " + pos + " of " + total + " coalitions");
        }
        return new AnytimeLayout(order, base, baseWeights, readyAt, entryStart, entryPosition, entryWeight);
    }

    /**
     * The enumerated coalitions as units (a coalition followed by its complement is one unit), by
     * size class min(s, M − s), in design order within each class; empty classes left out.
     */
    private static int[][] enumeratedUnits(CoalitionDesign d, int[] sizes) {
        int[][] classes = new int[d.m / 2 + 1][];
        int[] counts = new int[classes.length];
        for (int pass = 0; pass < 2; pass++) {
            for (int j = 0; j < d.enumerated; j++) {
                int c = Math.min(sizes[j], d.m - sizes[j]);
                boolean paired = j + 1 < d.enumerated && complements(d.masks.get(j), d.masks.get(j + 1));
                if (pass == 1) {
                    classes[c][counts[c]] = unit(j, paired);
                }
                counts[c]++;
                if (paired) {
                    j++;
                }
            }
            if (pass == 0) {
                for (int c = 0; c < classes.length; c++) {
                    classes[c] = new int[counts[c]];
                    counts[c] = 0;
                }
            }
        }
        return Arrays.stream(classes).filter(c -> c.length > 0).toArray(int[][]::new);
    }

    /** A unit: its first coalition j, and whether j + 1 (its complement) belongs to it. */
    private static int unit(int j, boolean paired) {
        return j << 1 | (paired ? 1 : 0);
    }

    private static int first(int unit) {
        return unit >>> 1;
    }

    private static int end(int unit) {
        return (unit >>> 1) + 1 + (unit & 1);
    }

    private static long masksOf(int[] units) {
        long n = 0;
        for (int unit : units) {
            n += 1 + (unit & 1);
        }
        return n;
    }

    private static boolean complements(boolean[] a, boolean[] b) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b[i]) {
                return false;
            }
        }
        return true;
    }

    static int size(boolean[] z) {
        int s = 0;
        for (boolean b : z) {
            s += b ? 1 : 0;
        }
        return s;
    }
}
