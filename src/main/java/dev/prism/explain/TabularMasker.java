package dev.prism.explain;

import dev.prism.model.Background;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.RowSource;
import java.util.List;

/**
 * Interventional masking for tabular inputs: a coalition keeps the instance's value where a
 * feature is on and takes each background row's value where it is off, giving one model row per
 * background row. Rows are written on demand, straight into the model's input buffer.
 */
public final class TabularMasker {
    private final double[] instance;
    private final float[] instanceFloat;
    private final RowBlock background;
    private final float[] backgroundFloat;
    private final int[] features;

    /**
     * @param features the input columns the coalition's positions refer to (e.g. the varying ones)
     */
    public TabularMasker(double[] instance, Background background, int[] features) {
        this.instance = instance.clone();
        this.background = background.rows();
        this.features = features.clone();
        this.instanceFloat = new float[instance.length];
        for (int i = 0; i < instance.length; i++) {
            instanceFloat[i] = (float) instance[i];
        }
        double[] bg = this.background.data();
        this.backgroundFloat = new float[bg.length];
        for (int i = 0; i < bg.length; i++) {
            backgroundFloat[i] = (float) bg[i];
        }
    }

    /** Model rows per coalition. */
    public int rowsPerCoalition() {
        return background.rows();
    }

    /** The model rows of coalitions [from, to) of the list: rowsPerCoalition() rows each, in order. */
    public RowSource rows(List<boolean[]> coalitions, int from, int to) {
        int[][] on = new int[to - from][];
        for (int j = from; j < to; j++) {
            boolean[] z = coalitions.get(j);
            int count = 0;
            for (boolean b : z) {
                count += b ? 1 : 0;
            }
            int[] columns = new int[count];
            for (int c = 0, k = 0; c < z.length; c++) {
                if (z[c]) {
                    columns[k++] = features[c];
                }
            }
            on[j - from] = columns;
        }
        return new MaskedRows(on);
    }

    private final class MaskedRows implements RowSource {
        private final int[][] onColumns;

        MaskedRows(int[][] onColumns) {
            this.onColumns = onColumns;
        }

        @Override
        public int rows() {
            return onColumns.length * background.rows();
        }

        @Override
        public int width() {
            return background.width();
        }

        @Override
        public void copyRows(int from, int count, double[] dest, int offset) {
            int n = background.rows();
            int w = background.width();
            // Rows of one coalition are consecutive background rows: copy them as one block,
            // then set the coalition's columns down the block.
            for (int i = 0; i < count; ) {
                int r = from + i;
                int k = r % n;
                int run = Math.min(count - i, n - k);
                int at = offset + i * w;
                System.arraycopy(background.data(), k * w, dest, at, run * w);
                for (int c : onColumns[r / n]) {
                    double v = instance[c];
                    for (int q = 0, o = at + c; q < run; q++, o += w) {
                        dest[o] = v;
                    }
                }
                i += run;
            }
        }

        @Override
        public void copyRows(int from, int count, float[] dest, int offset) {
            int n = background.rows();
            int w = background.width();
            for (int i = 0; i < count; ) {
                int r = from + i;
                int k = r % n;
                int run = Math.min(count - i, n - k);
                int at = offset + i * w;
                System.arraycopy(backgroundFloat, k * w, dest, at, run * w);
                for (int c : onColumns[r / n]) {
                    float v = instanceFloat[c];
                    for (int q = 0, o = at + c; q < run; q++, o += w) {
                        dest[o] = v;
                    }
                }
                i += run;
            }
        }
    }
}
