package dev.prism.explain.shap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.prism.linalg.Cancellation;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CoalitionBitsTest {
    private static final int M = 9;

    /** The weighted sums equal a pass over the coalitions, with few weights and with all different. */
    @Test
    void sumsEqualAPassOverTheCoalitions() {
        for (int distinct : new int[] {1, 3, 1000}) {
            for (int n : new int[] {1, 63, 64, 65, 200, 517}) {
                SplittableRandom random = new SplittableRandom(31L * n + distinct);
                List<boolean[]> masks = new ArrayList<>();
                double[] w = new double[n];
                double[] values = new double[n];
                for (int j = 0; j < n; j++) {
                    boolean[] z = new boolean[M];
                    for (int i = 0; i < M; i++) {
                        z[i] = random.nextBoolean();
                    }
                    masks.add(z);
                    w[j] = 0.5 + random.nextInt(distinct);
                    values[j] = random.nextDouble(-1, 1);
                }
                CoalitionBits bits = CoalitionBits.of(masks, M, w, Cancellation.NEVER);
                int[] set = {1, 4, 6};
                int[] pair = {0, 8};
                long[] odd = bits.oddPresent(set);
                long[] even = bits.oddPresent(pair);
                double every = 0;
                double both = 0;
                double oddTimesPlayer = 0;
                double oddValues = 0;
                double evenCount = 0;
                for (int j = 0; j < n; j++) {
                    boolean[] z = masks.get(j);
                    boolean isOdd = (count(z, set) & 1) == 1;
                    every += w[j];
                    both += z[2] && z[5] ? w[j] : 0;
                    oddTimesPlayer += isOdd && z[3] ? w[j] : 0;
                    oddValues += isOdd ? values[j] : 0;
                    evenCount += (count(z, pair) & 1) == 1 ? w[j] : 0;
                }
                String at = "n " + n + ", weights " + distinct;
                assertEquals(every, bits.sum(bits.every), 1e-9 * every, at);
                assertEquals(both, bits.sum(bits.player(2), bits.player(5)), 1e-9 * every, at);
                assertEquals(oddTimesPlayer, bits.sum(odd, bits.player(3)), 1e-9 * every, at);
                assertEquals(oddValues, bits.sumOf(odd, values), 1e-9 * n, at);
                assertEquals(evenCount, bits.sum(even), 1e-9 * every, at);
            }
        }
    }

    @Test
    void noCoalitionsSumToZero() {
        CoalitionBits bits = CoalitionBits.of(List.of(), M, new double[0], Cancellation.NEVER);
        assertEquals(0, bits.sum(bits.every));
        assertEquals(0, bits.sum(bits.player(3), bits.oddPresent(new int[] {1, 2, 3})));
    }

    @Test
    void cancellationStopsTheLayout() {
        List<boolean[]> masks = new ArrayList<>();
        for (int j = 0; j < 1000; j++) {
            masks.add(new boolean[M]);
        }
        assertThrows(IllegalStateException.class, () -> CoalitionBits.of(masks, M, new double[1000], () -> {
            throw new IllegalStateException("cancelled");
        }));
    }

    private static int count(boolean[] z, int[] set) {
        int c = 0;
        for (int i : set) {
            c += z[i] ? 1 : 0;
        }
        return c;
    }
}
