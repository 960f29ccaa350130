package dev.prism.explain.shap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The evaluation order and finer groups that give a design an estimate early. */
class AnytimeLayoutTest {

    private static CoalitionDesign leverage(int m, long n, long seed) {
        return CoalitionDesign.fromLeverage(LeverageDesign.build(m, n, new SplittableRandom(seed)));
    }

    /** Every position once, groups ending in order, the last at the end. */
    private static void assertIsAnOrderOfTheWholeDesign(CoalitionDesign d, AnytimeLayout l) {
        boolean[] seen = new boolean[d.masks.size()];
        for (int j : l.order) {
            assertTrue(!seen[j], "mask " + j + " twice");
            seen[j] = true;
        }
        assertEquals(d.masks.size(), l.order.length);
        for (int g = 1; g < l.groups; g++) {
            assertTrue(l.readyAt[g - 1] <= l.readyAt[g]);
        }
        assertEquals(d.masks.size(), l.readyAt[l.groups - 1]);
        for (int g = 0; g < l.groups; g++) {
            for (int e = l.entryStart[g]; e < l.entryStart[g + 1]; e++) {
                assertTrue(l.entryPosition[e] >= l.base && l.entryPosition[e] < l.readyAt[g],
                        "group " + g + " uses position " + l.entryPosition[e] + " after it is complete");
            }
        }
    }

    /** Σ of the design's final weights over its masks of each size. */
    private static double[] designWeightBySize(CoalitionDesign d) {
        double[] w = new double[d.m + 1];
        for (int j = 0; j < d.masks.size(); j++) {
            w[AnytimeLayout.size(d.masks.get(j))] += d.finalWeight(j);
        }
        return w;
    }

    /** Σ of group g's weights over its entries of each size. */
    private static double[] groupWeightBySize(CoalitionDesign d, AnytimeLayout l, int g) {
        double[] w = new double[d.m + 1];
        for (int e = l.entryStart[g]; e < l.entryStart[g + 1]; e++) {
            w[AnytimeLayout.size(d.masks.get(l.order[l.entryPosition[e]]))] += l.entryWeight[e];
        }
        return w;
    }

    @Test
    void aLeverageLayoutKeepsSmallClassesInTheBaseAndDealsTheRestSoEachGroupIsADesign() {
        // M = 50, 100,000 coalitions: the design enumerates sizes 1/49 (50 pairs) and 2/48 (1,225
        // pairs). With 512 groups size 1 stays in the base and size 2 is dealt, so the first
        // estimate needs about 100 + 2 × 195 coalitions instead of 2,550 and two groups of 6,000.
        CoalitionDesign d = leverage(50, 100_000, 11);
        AnytimeLayout l = AnytimeLayout.of(d, new SplittableRandom(1));
        assertEquals(2550, d.enumerated);
        assertEquals(512, l.groups);
        assertEquals(100, l.base);
        for (int p = 0; p < l.base; p++) {
            int s = AnytimeLayout.size(d.masks.get(l.order[p]));
            assertTrue(s == 1 || s == 49);
            assertEquals(d.finalWeight(l.order[p]), l.baseWeights[p], 0.0);
        }
        assertTrue(l.stageEnd(0) < 500, "first estimate after " + l.stageEnd(0));
        assertIsAnOrderOfTheWholeDesign(d, l);
        // Horvitz–Thompson: in every group the weights of each size add up to the design's.
        double[] design = designWeightBySize(d);
        for (int g = 0; g < l.groups; g++) {
            double[] group = groupWeightBySize(d, l, g);
            assertEquals(0, group[1] + group[49], 0.0);
            for (int s = 2; s <= 48; s++) {
                assertEquals(design[s], group[s], 1e-12 * design[s], "group " + g + " size " + s);
            }
        }
    }

    @Test
    void shapsLayoutDealsItsEnumeratedSizesAndCutsItsDrawsIntoRuns() {
        CoalitionDesign d = CoalitionDesign.build(30, 20_000, new SplittableRandom(4), true);
        AnytimeLayout l = AnytimeLayout.of(d, new SplittableRandom(2));
        assertEquals(930, d.enumerated); // sizes 1/29 and 2/28
        assertEquals(256, l.groups);
        assertEquals(60, l.base);
        assertTrue(l.stageEnd(0) < 250, "first estimate after " + l.stageEnd(0));
        assertIsAnOrderOfTheWholeDesign(d, l);
        double[] design = designWeightBySize(d);
        for (int g = 0; g < l.groups; g++) {
            double[] group = groupWeightBySize(d, l, g);
            assertEquals(design[2], group[2], 1e-12 * design[2]);
            assertEquals(design[28], group[28], 1e-12 * design[28]);
            double drawn = 0;
            for (int s = 3; s <= 27; s++) {
                drawn += group[s];
            }
            // The group's draws carry the whole sampled kernel mass.
            assertEquals(d.sampledMass, drawn, 1e-12);
        }
        // Sampled masks are evaluated in the order of their first draw.
        int last = -1;
        for (int p = l.readyAt[0]; p < l.order.length; p++) {
            if (l.order[p] >= d.enumerated) {
                assertTrue(l.order[p] > last);
                last = l.order[p];
            }
        }
    }

    @Test
    void theSameSeedsGiveTheSameLayoutSoAParkedPlanRebuildsIt() {
        for (boolean kernel : new boolean[] {false, true}) {
            AnytimeLayout[] l = new AnytimeLayout[2];
            for (int i = 0; i < 2; i++) {
                CoalitionDesign d = kernel ? CoalitionDesign.build(20, 5000, new SplittableRandom(7), true)
                        : leverage(20, 5000, 7);
                l[i] = AnytimeLayout.of(d, new SplittableRandom(8));
            }
            assertArrayEquals(l[0].order, l[1].order);
            assertArrayEquals(l[0].entryPosition, l[1].entryPosition);
            assertArrayEquals(l[0].entryWeight, l[1].entryWeight, 0.0);
        }
    }

    @Test
    void designsWithNothingSampledHaveNoLayout() {
        assertNull(AnytimeLayout.of(leverage(10, 1022, 1), new SplittableRandom(1)));
        assertNull(AnytimeLayout.of(CoalitionDesign.build(10, 1022, new SplittableRandom(1), true),
                new SplittableRandom(1)));
        assertNull(AnytimeLayout.of(CoalitionDesign.explicit(3, List.of(new boolean[] {true, false, false}),
                new double[] {1}), new SplittableRandom(1)));
        // Too few pairs for two groups of M.
        assertNull(AnytimeLayout.of(leverage(30, 80, 1), new SplittableRandom(1)));
        CoalitionDesign drawsDropped = CoalitionDesign.build(30, 2000, new SplittableRandom(1));
        assertThrows(IllegalArgumentException.class, () -> AnytimeLayout.of(drawsDropped, new SplittableRandom(1)));
    }
}
