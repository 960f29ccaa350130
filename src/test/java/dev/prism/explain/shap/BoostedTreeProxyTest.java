package dev.prism.explain.shap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.linalg.Cancellation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BoostedTreeProxyTest {
    /** Every coalition of m players, ∅ and the full one included, each next to its complement. */
    private static List<boolean[]> everyCoalition(int m) {
        List<boolean[]> out = new ArrayList<>();
        for (int bits = 0; bits < 1 << (m - 1); bits++) {
            boolean[] z = new boolean[m];
            boolean[] complement = new boolean[m];
            for (int i = 0; i < m; i++) {
                z[i] = (bits >>> i & 1) != 0;
                complement[i] = !z[i];
            }
            out.add(z);
            out.add(complement);
        }
        return out;
    }

    private static double chi(int[] term, boolean[] z) {
        double c = 1;
        for (int i : term) {
            c *= z[i] ? 1 : -1;
        }
        return c;
    }

    private static boolean all(boolean[] z, int... players) {
        for (int i : players) {
            if (!z[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * On every coalition the proxy's values are a function on the whole cube, so its Walsh
     * transform by brute force, 2^−M Σ_z f(z) χ_T(z), must equal the coefficients read off the
     * leaves, for every odd T of three or more.
     */
    @Test
    void theSpectrumIsTheWalshTransformOfTheFittedTrees() {
        int m = 8;
        List<boolean[]> masks = everyCoalition(m);
        int n = masks.size();
        double[] w = new double[n];
        double[] r = new double[n];
        for (int j = 0; j < n; j++) {
            boolean[] z = masks.get(j);
            int size = 0;
            for (boolean b : z) {
                size += b ? 1 : 0;
            }
            w[j] = 1.0 / (1 + size * (m - size));
            r[j] = (all(z, 0, 3, 5) ? 1.5 : 0) - (all(z, 1, 2) && !z[6] ? 0.7 : 0) + Math.sin(3.0 * j);
        }
        int[] features = {0, 1, 2, 3, 4, 5, 6, 7};
        BoostedTreeProxy proxy = fit(masks, w, r, features, Cancellation.NEVER);
        int checked = 0;
        double largest = 0;
        for (int set = 0; set < 1 << m; set++) {
            int order = Integer.bitCount(set);
            if (order < 3 || order % 2 == 0) {
                continue;
            }
            int[] term = new int[order];
            int p = 0;
            for (int i = 0; i < m; i++) {
                if ((set >>> i & 1) != 0) {
                    term[p++] = i;
                }
            }
            double walsh = 0;
            for (int j = 0; j < n; j++) {
                walsh += proxy.fitted[j] * chi(term, masks.get(j));
            }
            walsh /= n;
            assertEquals(walsh, proxy.coefficient(term), 1e-12, Arrays.toString(term));
            largest = Math.max(largest, Math.abs(walsh));
            checked++;
        }
        assertEquals(56 + 56 + 8, checked);
        assertTrue(largest > 1e-3, "the trees should have odd terms of order 3 or more: " + largest);

        // The largest terms are those of a full sort by |coefficient|, ties by the set's bits.
        List<int[]> all = new ArrayList<>();
        for (int set = 0; set < 1 << m; set++) {
            int order = Integer.bitCount(set);
            if (order >= 3 && order % 2 == 1) {
                int members = set;
                int[] term = java.util.stream.IntStream.range(0, m).filter(i -> (members >>> i & 1) != 0).toArray();
                if (proxy.coefficient(term) != 0) {
                    all.add(term);
                }
            }
        }
        all.sort((u, v) -> {
            int c = Double.compare(Math.abs(proxy.coefficient(v)), Math.abs(proxy.coefficient(u)));
            return c != 0 ? c : Integer.compare(bits(u), bits(v));
        });
        for (int limit : new int[] {1, 5, 17, all.size(), all.size() + 10}) {
            int[][] top = proxy.largestOddTerms(limit);
            assertEquals(Math.min(limit, all.size()), top.length);
            for (int t = 0; t < top.length; t++) {
                assertArrayEquals(all.get(t), top[t], "limit " + limit + ", place " + t);
            }
        }
    }

    private static int bits(int[] term) {
        int b = 0;
        for (int i : term) {
            b |= 1 << i;
        }
        return b;
    }

    /**
     * The game 2·z1z4z7z9z10 + z2z5z6 has, as odd terms of three or more, {2,5,6} with coefficient
     * 1/8 and the ten triples and the five-set of {1,4,7,9,10} with 1/16 each: those lead.
     */
    @Test
    void plantedUnanimityTermsLeadTheCandidates() {
        int m = 12;
        List<boolean[]> masks = everyCoalition(m);
        int n = masks.size();
        double[] w = new double[n];
        double[] r = new double[n];
        Arrays.fill(w, 1);
        for (int j = 0; j < n; j++) {
            boolean[] z = masks.get(j);
            r[j] = (all(z, 1, 4, 7, 9, 10) ? 2 : 0) + (all(z, 2, 5, 6) ? 1 : 0);
        }
        int[] features = new int[m];
        Arrays.setAll(features, i -> i);
        BoostedTreeProxy proxy = fit(masks, w, r, features, Cancellation.NEVER);
        int[][] top = proxy.largestOddTerms(12);
        assertArrayEquals(new int[] {2, 5, 6}, top[0]);
        List<String> planted = new ArrayList<>();
        int[] five = {1, 4, 7, 9, 10};
        for (int a = 0; a < 5; a++) {
            for (int b = a + 1; b < 5; b++) {
                for (int c = b + 1; c < 5; c++) {
                    planted.add(Arrays.toString(new int[] {five[a], five[b], five[c]}));
                }
            }
        }
        planted.add(Arrays.toString(five));
        List<String> rest = Arrays.stream(top).skip(1).map(Arrays::toString).sorted().toList();
        assertEquals(planted.stream().sorted().toList(), rest);
        assertEquals(1 / 8.0, proxy.coefficient(new int[] {2, 5, 6}), 0.02);
        assertEquals(1 / 16.0, proxy.coefficient(five), 0.02);
    }

    @Test
    void aCancelledFitStops() {
        List<boolean[]> masks = everyCoalition(6);
        double[] ones = new double[masks.size()];
        Arrays.fill(ones, 1);
        Cancellation cancelled = () -> {
            throw new IllegalStateException("cancelled");
        };
        assertThrows(IllegalStateException.class, () -> fit(masks, ones, ones,
                new int[] {0, 1, 2, 3, 4, 5}, cancelled));
    }

    @Test
    void moreFeaturesThanBitsAreRefused() {
        List<boolean[]> masks = everyCoalition(4);
        double[] ones = new double[masks.size()];
        assertThrows(IllegalArgumentException.class, () -> fit(masks, ones, ones,
                new int[32], Cancellation.NEVER));
    }

    private static BoostedTreeProxy fit(List<boolean[]> masks, double[] w, double[] r, int[] features,
                                        Cancellation cancellation) {
        CoalitionBits bits = CoalitionBits.of(masks, masks.get(0).length, w, Cancellation.NEVER);
        return BoostedTreeProxy.fit(bits, masks, w, r, features, cancellation);
    }
}
