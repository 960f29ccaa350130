package dev.prism.model.trees;

import dev.prism.tensor.RowBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Rows that reach the edges of an ensemble's splits: each value is one of the thresholds (or set
 * members) its feature is split at, the next value above or below it in the comparison's
 * precision, or NaN where the input can carry one, so that every comparison mode, the float32
 * rounding and the NaN rule are exercised. Seeded: the same ensemble gives the same rows.
 */
public final class ProbeRows {
    private ProbeRows() {
    }

    public static RowBlock of(TreeEnsemble trees, int rows, long seed) {
        int features = trees.featureCount();
        List<List<Double>> cuts = new ArrayList<>();
        for (int f = 0; f < features; f++) {
            cuts.add(new ArrayList<>());
        }
        for (int n = 0; n < trees.nodeCount(); n++) {
            if (trees.isLeaf(n)) {
                continue;
            }
            List<Double> at = cuts.get(trees.feature(n));
            if (trees.mode(n) == SplitMode.MEMBER) {
                for (double m : trees.members(n)) {
                    at.add(m);
                }
            } else {
                at.add(trees.threshold(n));
            }
        }
        boolean float32 = trees.rounding().roundsToFloat32();
        boolean nan = trees.rounding() == InputRounding.NONE || trees.rounding() == InputRounding.FLOAT32;
        SplittableRandom random = new SplittableRandom(seed);
        double[] data = new double[rows * features];
        for (int r = 0; r < rows; r++) {
            for (int f = 0; f < features; f++) {
                List<Double> at = cuts.get(f);
                double v;
                if (at.isEmpty()) {
                    v = 0;
                } else if (nan && random.nextInt(8) == 0) {
                    v = Double.NaN;
                } else {
                    double t = at.get(random.nextInt(at.size()));
                    v = switch (random.nextInt(3)) {
                        case 0 -> t;
                        case 1 -> float32 ? Math.nextUp((float) t) : Math.nextUp(t);
                        default -> float32 ? Math.nextDown((float) t) : Math.nextDown(t);
                    };
                }
                data[r * features + f] = v;
            }
        }
        return new RowBlock(rows, features, data);
    }
}
