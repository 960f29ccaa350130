package dev.prism.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.prism.tensor.RowBlock;
import dev.prism.tensor.RowSource;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class CoalitionMaskerTest {
    private final RowBlock background = new RowBlock(2, 4, new double[] {
        10, 11, 12, 13,
        20, 21, 22, 23});
    private final double[] x = {0.5, 1.5, 2.5, 3.25};

    @Test
    void onPlayersComeFromTheInstanceAndOffPlayersFromEachReplacementRow() {
        // Two players: column 1 and column 3 (the varying ones); the others are off for good.
        CoalitionMasker masker = new CoalitionMasker(x, background, new int[][] {{1}, {3}}, new int[0]);
        List<boolean[]> coalitions = List.of(new boolean[] {true, false}, new boolean[] {false, true},
                new boolean[] {true, true});
        RowSource rows = masker.rows(coalitions, 1, 3);
        assertEquals(4, rows.rows());
        double[] expected = {
            10, 11, 12, 3.25,
            20, 21, 22, 3.25,
            10, 1.5, 12, 3.25,
            20, 1.5, 22, 3.25};
        double[] d = new double[16];
        rows.copyRows(0, 4, d, 0);
        assertArrayEquals(expected, d, 0.0);

        double[] middle = new double[8];
        rows.copyRows(1, 2, middle, 0); // starts inside the first coalition, ends in the second
        assertArrayEquals(Arrays.copyOfRange(expected, 4, 12), middle, 0.0);

        float[] f = new float[8 + 3];
        rows.copyRows(2, 2, f, 3);
        for (int i = 0; i < 8; i++) {
            assertEquals((float) expected[8 + i], f[3 + i]);
        }
    }

    @Test
    void groupsSwitchAllTheirElementsAndUngroupedElementsKeepTheInstance() {
        // Player 0 = elements {0, 2}, player 1 = {3}; element 1 belongs to no player.
        CoalitionMasker masker = new CoalitionMasker(x, new RowBlock(1, 4, new double[] {-1, -1, -1, -1}),
                new int[][] {{0, 2}, {3}}, new int[] {1});
        RowSource rows = masker.rows(List.of(new boolean[] {false, false}, new boolean[] {true, false},
                new boolean[] {false, true}), 0, 3);
        double[] d = new double[12];
        rows.copyRows(0, 3, d, 0);
        assertArrayEquals(new double[] {
            -1, 1.5, -1, -1,
            0.5, 1.5, 2.5, -1,
            -1, 1.5, -1, 3.25}, d, 0.0);
    }
}
