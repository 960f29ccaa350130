package dev.prism.explain.tree;

import dev.prism.linalg.Cancellation;
import dev.prism.model.Background;
import dev.prism.model.trees.Trees;

/**
 * The walk of the interventional game over one tree for one instance x and one background row r:
 * it finds every leaf that some hybrid (x_S, r_S̄) reaches, with the features that decide it. For a
 * leaf ℓ, A is the set of features whose splits on ℓ's path x passes and r fails, and B those r
 * passes and x fails; (x_S, r_S̄) reaches ℓ iff A ⊆ S and B ∩ S = ∅. Features both pass are no
 * players of that leaf, and a leaf some feature bars to both is never reached.
 *
 * <p>The walk descends x and r together: where they take the same child there is nothing to decide;
 * where they part on a feature not yet assigned it descends both, x's child with the feature in A
 * and r's child with it in B; a feature met again on the path follows the side it was assigned.
 * Trees may be DAGs and may split on a feature several times along a path; the walk follows paths,
 * so a shared subtree is walked once per path that reaches it, as the game needs. Each leaf reached
 * is handed to {@link #leaf} with its |A| + |B| features in {@link #assigned} (in the order met) and
 * their sides; the one reached with A empty is r's own leaf. Recursion is as deep as the features
 * assigned on a path.
 *
 * <p>Confined to the thread that made it.
 */
abstract class HybridPaths {
    /** A feature's side on the current path: not yet assigned, in A (x's value), in B (r's value). */
    private static final byte FREE = 0;
    private static final byte FROM_X = 1;
    private static final byte FROM_R = 2;

    protected final Trees trees;
    private final double[] x;
    private final double[] rows;
    private final byte[] side;
    /** The features assigned on the current path, in the order met. */
    protected final int[] assigned;
    private int rowOffset;
    /** The current row's weight times the ensemble's scale: what each of its leaf values counts. */
    protected double rowScale;

    /**
     * @param rows       the background rows, row after row, each x.length wide
     * @param maxPlayers the most features that can be assigned on one path
     */
    HybridPaths(Trees trees, double[] x, double[] rows, int maxPlayers) {
        this.trees = trees;
        this.x = x;
        this.rows = rows;
        this.side = new byte[x.length];
        this.assigned = new int[maxPlayers];
    }

    /** Sets the background row the next walks pair with x. */
    final void row(int r) {
        rowOffset = r * x.length;
    }

    /**
     * Walks every tree with every background row of non-zero weight, {@link #rowScale} set to the
     * row's weight times the ensemble's scale.
     *
     * @param cancellation asked before each row
     */
    final void walkAll(Background background, Cancellation cancellation) {
        for (int r = 0; r < background.size(); r++) {
            cancellation.throwIfCancelled();
            double w = background.weight(r);
            if (w == 0) {
                continue;
            }
            row(r);
            rowScale = w * trees.scale();
            for (int t = 0; t < trees.treeCount(); t++) {
                walk(t);
            }
        }
    }

    /** Refuses an instance or background of another width than the ensemble's input. */
    static void checkWidths(double[] x, Background background, int features) {
        if (x.length != features) {
            throw new IllegalArgumentException("an instance of " + x.length + " values for " + features + " features");
        }
        if (background.rows().width() != features) {
            throw new IllegalArgumentException("background rows of " + background.rows().width() + " values for "
                    + features + " features");
        }
    }

    /** Walks one tree with the current row. */
    final void walk(int tree) {
        descend(trees.root(tree), 0, 0);
    }

    /** Whether an assigned feature is in A, from x, rather than in B. */
    final boolean fromX(int feature) {
        return side[feature] == FROM_X;
    }

    /** A leaf reached with {@code inX} features in A and {@code inR} in B, in assigned[0..inX + inR). */
    abstract void leaf(int leaf, int inX, int inR);

    private void descend(int node, int inX, int inR) {
        while (!trees.isLeaf(node)) {
            int f = trees.feature(node);
            byte s = side[f];
            if (s != FREE) {
                double v = s == FROM_X ? x[f] : rows[rowOffset + f];
                node = trees.goesTrue(node, v) ? trees.trueChild(node) : trees.falseChild(node);
                continue;
            }
            boolean xTrue = trees.goesTrue(node, x[f]);
            boolean rTrue = trees.goesTrue(node, rows[rowOffset + f]);
            if (xTrue == rTrue) {
                node = xTrue ? trees.trueChild(node) : trees.falseChild(node);
                continue;
            }
            int xChild = xTrue ? trees.trueChild(node) : trees.falseChild(node);
            int rChild = xTrue ? trees.falseChild(node) : trees.trueChild(node);
            assigned[inX + inR] = f;
            side[f] = FROM_X;
            descend(xChild, inX + 1, inR);
            side[f] = FROM_R;
            descend(rChild, inX, inR + 1);
            side[f] = FREE;
            return;
        }
        leaf(node, inX, inR);
    }
}
