package dev.prism.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.prism.model.Background;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.RowSource;
import java.util.List;
import org.junit.jupiter.api.Test;

class TabularMaskerTest {
    private final Background background = Background.uniform(new RowBlock(2, 4, new double[] {
        10, 11, 12, 13,
        20, 21, 22, 23}));
    private final double[] x = {0.5, 1.5, 2.5, 3.25};

    @Test
    void onFeaturesComeFromTheInstanceAndOffFeaturesFromEachBackgroundRow() {
        // Coalition positions refer to columns 1 and 3 only (the varying ones).
        TabularMasker masker = new TabularMasker(x, background, new int[] {1, 3});
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
        assertArrayEquals(java.util.Arrays.copyOfRange(expected, 4, 12), middle, 0.0);

        float[] f = new float[8 + 3];
        rows.copyRows(2, 2, f, 3);
        for (int i = 0; i < 8; i++) {
            assertEquals((float) expected[8 + i], f[3 + i]);
        }
    }
}
