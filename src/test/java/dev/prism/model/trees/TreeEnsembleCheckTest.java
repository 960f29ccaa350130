package dev.prism.model.trees;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.tensor.RowBlock;
import dev.prism.testing.FunctionModel;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The load-time comparison: agreement within the float tolerance, the first disagreement named. */
class TreeEnsembleCheckTest {
    /** A stump on feature 0 at 0.5 with leaves 1 and 3, laid out [1 − s, s]. */
    private static TreeEnsemble stump() {
        TreeEnsemble.Builder b = TreeEnsemble.builder(2, 1);
        int s = b.split(0, SplitMode.LEQ, 0.5, false);
        int yes = b.leaf();
        int no = b.leaf();
        return b.children(s, yes, no).vote(yes, 0, 1).vote(no, 0, 3).tree(s)
                .layout(ScoreLayout.COMPLEMENT_PAIR).build();
    }

    private static final RowBlock ROWS = new RowBlock(3, 2, new double[] {0, 0, 1, 0, 0.5, 7});

    @Test
    void aModelComputingTheSameColumnsAgreesUpToFloatRounding() {
        TreeEnsemble t = stump();
        FunctionModel same = new FunctionModel(2, 2, x -> {
            double[] y = t.outputs(x);
            return new double[] {(float) y[0], (float) y[1] * (1 + 4e-6)};
        });
        assertEquals(Optional.empty(), TreeEnsembleCheck.compare(t, same, ROWS, true));
    }

    @Test
    void theFirstDisagreementIsNamedByRowAndColumn() {
        TreeEnsemble t = stump();
        // The model routes 0.5 the other way (x < 0.5): row 2 differs, in both columns.
        FunctionModel other = new FunctionModel(2, 2, x -> x[0] < 0.5 ? new double[] {0, 1} : new double[] {-2, 3});
        TreeEnsembleCheck.Disagreement d = TreeEnsembleCheck.compare(t, other, ROWS, true).orElseThrow();
        assertEquals(2, d.row());
        assertEquals(0, d.column());
        assertEquals(0, d.prism());
        assertEquals(-2, d.model());
        assertEquals(2, d.difference());
        // Just past the tolerance is a disagreement too.
        FunctionModel close = new FunctionModel(2, 2, x -> {
            double[] y = t.outputs(x);
            return new double[] {y[0], y[1] * (1 + 3e-5)};
        });
        TreeEnsembleCheck.Disagreement near = TreeEnsembleCheck.compare(t, close, ROWS, false).orElseThrow();
        assertEquals(0, near.row());
        assertEquals(1, near.column());
        assertTrue(near.difference() > near.tolerance());
        // A NaN on one side only disagrees.
        FunctionModel nan = new FunctionModel(2, 2, x -> new double[] {Double.NaN, t.outputs(x)[1]});
        assertEquals(0, TreeEnsembleCheck.compare(t, nan, ROWS, true).orElseThrow().column());
    }

    @Test
    void floatSummationOfManyVotesIsAllowedForButNotMore() {
        // 4000 trees voting 0.1 each (Σ|w| = 400): float32 running sums drift by 0.015 here, beyond
        // 1e-5 relative of the sum, within the bound 4001·2^-24·400 ≈ 0.095.
        TreeEnsemble.Builder b = TreeEnsemble.builder(1, 1);
        int leaf = b.leaf();
        b.vote(leaf, 0, 0.1);
        for (int i = 0; i < 4000; i++) {
            b.tree(leaf);
        }
        TreeEnsemble t = b.build();
        RowBlock row = new RowBlock(1, 1, new double[] {0});
        float sum = 0;
        for (int i = 0; i < 4000; i++) {
            sum += (float) 0.1;
        }
        float floatSum = sum;
        assertTrue(Math.abs(floatSum - 400.0) > 1e-5 * 400 + 1e-6, "the float sum drifts: " + floatSum);
        assertEquals(Optional.empty(), TreeEnsembleCheck.compare(t,
                new FunctionModel(1, 1, x -> new double[] {floatSum}), row, true));
        // The same drift in a double model's run is a disagreement.
        assertTrue(TreeEnsembleCheck.compare(t, new FunctionModel(1, 1, x -> new double[] {floatSum}), row, false)
                .isPresent());
        assertTrue(TreeEnsembleCheck.compare(t, new FunctionModel(1, 1, x -> new double[] {400.1}), row, true)
                .isPresent());
    }
}
