package dev.prism.explain;

import dev.prism.model.Background;
import dev.prism.tensor.RowBlock;

/**
 * Interventional masking for tabular inputs: a coalition keeps the instance's value where a
 * feature is on and takes each background row's value where it is off, giving one model row per
 * background row.
 */
public final class TabularMasker {
    private final double[] instance;
    private final RowBlock background;
    private final int[] features;

    /**
     * @param features the input columns the coalition's positions refer to (e.g. the varying ones)
     */
    public TabularMasker(double[] instance, Background background, int[] features) {
        this.instance = instance.clone();
        this.background = background.rows();
        this.features = features.clone();
    }

    /** Model rows per coalition. */
    public int rowsPerCoalition() {
        return background.rows();
    }

    /** Writes the coalition's rows into dest starting at row destRow. */
    public void fill(boolean[] coalition, double[] dest, int destRow) {
        int width = background.width();
        int n = background.rows();
        System.arraycopy(background.data(), 0, dest, destRow * width, n * width);
        for (int c = 0; c < features.length; c++) {
            if (coalition[c]) {
                int column = features[c];
                double value = instance[column];
                for (int k = 0, at = destRow * width + column; k < n; k++, at += width) {
                    dest[at] = value;
                }
            }
        }
    }
}
