package dev.prism.explain;

import dev.prism.tensor.RowBlock;
import dev.prism.tensor.RowSource;
import java.util.List;

/**
 * Turns coalitions of players (feature groups) into model rows: the instance's values for the
 * elements of players that are on and for elements that belong to no player, each replacement row's
 * values elsewhere — one model row per replacement row (interventional masking over a background,
 * or a single baseline row). Rows are written on demand, straight into the model's input buffer.
 */
public final class CoalitionMasker {
    private final double[] instance;
    private final float[] instanceFloat;
    private final RowBlock replacement;
    private final float[] replacementFloat;
    private final int[][] players;
    private final int[] fixed;

    /**
     * @param players the elements of each player, in coalition order
     * @param fixed   elements that always keep the instance's value
     */
    public CoalitionMasker(double[] instance, RowBlock replacement, int[][] players, int[] fixed) {
        this.instance = instance.clone();
        this.replacement = replacement;
        this.players = players.clone();
        this.fixed = fixed.clone();
        this.instanceFloat = new float[instance.length];
        for (int i = 0; i < instance.length; i++) {
            instanceFloat[i] = (float) instance[i];
        }
        double[] r = replacement.data();
        this.replacementFloat = new float[r.length];
        for (int i = 0; i < r.length; i++) {
            replacementFloat[i] = (float) r[i];
        }
    }

    /** Model rows per coalition. */
    public int rowsPerCoalition() {
        return replacement.rows();
    }

    public int players() {
        return players.length;
    }

    /** The model rows of coalitions [from, to) of the list: rowsPerCoalition() rows each, in order. */
    public RowSource rows(List<boolean[]> coalitions, int from, int to) {
        int[][] on = new int[to - from][];
        for (int j = from; j < to; j++) {
            boolean[] z = coalitions.get(j);
            int count = fixed.length;
            for (int p = 0; p < z.length; p++) {
                count += z[p] ? players[p].length : 0;
            }
            int[] elements = new int[count];
            int k = 0;
            for (int p = 0; p < z.length; p++) {
                if (z[p]) {
                    for (int e : players[p]) {
                        elements[k++] = e;
                    }
                }
            }
            System.arraycopy(fixed, 0, elements, k, fixed.length);
            on[j - from] = elements;
        }
        return new MaskedRows(on);
    }

    private final class MaskedRows implements RowSource {
        private final int[][] onElements;

        MaskedRows(int[][] onElements) {
            this.onElements = onElements;
        }

        @Override
        public int rows() {
            return onElements.length * replacement.rows();
        }

        @Override
        public int width() {
            return replacement.width();
        }

        @Override
        public void copyRows(int from, int count, double[] dest, int offset) {
            int n = replacement.rows();
            int w = replacement.width();
            // Rows of one coalition are consecutive replacement rows: copy them as one block,
            // then set the coalition's elements down the block.
            for (int i = 0; i < count; ) {
                int r = from + i;
                int k = r % n;
                int run = Math.min(count - i, n - k);
                int at = offset + i * w;
                System.arraycopy(replacement.data(), k * w, dest, at, run * w);
                for (int c : onElements[r / n]) {
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
            int n = replacement.rows();
            int w = replacement.width();
            for (int i = 0; i < count; ) {
                int r = from + i;
                int k = r % n;
                int run = Math.min(count - i, n - k);
                int at = offset + i * w;
                System.arraycopy(replacementFloat, k * w, dest, at, run * w);
                for (int c : onElements[r / n]) {
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
