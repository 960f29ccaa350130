package dev.prism.explain.shap;

import static dev.prism.explain.shap.LeverageDesignTest.size;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** shap's design in its anytime form: little enumerated up front, so the first groups end early. */
class CoalitionDesignTest {
    @Test
    void anAnytimeDesignEnumeratesOnlyWhatFitsInOneGroupsShare() {
        // m = 50, 100,000 coalitions, 512 groups: a group's share is 195. Size 1/49 (100 coalitions)
        // fits; size 2/48 (2,450) does not and is sampled, where the plain design enumerates it.
        CoalitionDesign plain = CoalitionDesign.build(50, 100_000, new SplittableRandom(4), 512);
        CoalitionDesign anytime = CoalitionDesign.build(50, 100_000, new SplittableRandom(4), 512, true);
        assertTrue(plain.enumerated >= 2550, "plain enumerates sizes 1 and 2: " + plain.enumerated);
        assertEquals(100, anytime.enumerated);
        for (int j = 0; j < anytime.enumerated; j++) {
            int s = size(anytime.masks.get(j));
            assertTrue(s == 1 || s == 49);
        }
        assertFalse(anytime.complete);
        assertTrue(anytime.groups >= 256, "groups " + anytime.groups);
        assertTrue(anytime.groupEnd[1] < 1000, "second group ends at " + anytime.groupEnd[1]);
        boolean sampledSizeTwo = false;
        for (int j = anytime.enumerated; j < anytime.masks.size(); j++) {
            sampledSizeTwo |= size(anytime.masks.get(j)) == 2;
        }
        assertTrue(sampledSizeTwo);
        // The final weights still carry the whole Shapley-kernel mass.
        double total = 0;
        for (int j = 0; j < anytime.masks.size(); j++) {
            total += anytime.finalWeight(j);
        }
        assertEquals(1.0, total, 1e-9);
    }

    @Test
    void aBudgetForEveryCoalitionIsStillEnumeratedCompletely() {
        CoalitionDesign d = CoalitionDesign.build(10, 1022, new SplittableRandom(1), 512, true);
        assertTrue(d.complete);
        assertEquals(1022, d.enumerated);
        assertEquals(1022, d.masks.size());
    }
}
