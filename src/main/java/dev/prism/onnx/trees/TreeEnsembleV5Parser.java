package dev.prism.onnx.trees;

import dev.prism.model.trees.InputRounding;
import dev.prism.model.trees.OutputTransform;
import dev.prism.model.trees.SplitMode;
import dev.prism.model.trees.TreeEnsemble;
import dev.prism.onnx.graph.UnsupportedGraphException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads {@code TreeEnsemble} (ai.onnx.ml 5): interior nodes and leaves in separate lists, a child
 * being a leaf where its {@code nodes_*leafs} flag is 1, {@code BRANCH_MEMBER} sets taken in order
 * from {@code membership_values} (each ended by a NaN), one (target, weight) vote per leaf, roots
 * in {@code tree_roots}. Prism numbers the interior nodes first, then the leaves.
 *
 * <p>ONNX Runtime (up to 1.32 at least) reads post_transform 1 and 2 the other way round from the
 * specification (LOGISTIC for SOFTMAX and back) and applies none but PROBIT to one target, so
 * those are refused rather than computed two ways.
 */
final class TreeEnsembleV5Parser {
    static final String OP = "TreeEnsemble";

    private TreeEnsembleV5Parser() {
    }

    static TreeEnsemble.Builder parse(Attributes a, int featureCount, InputRounding rounding, boolean float32) {
        long[] roots = a.requiredInts("tree_roots");
        long[] features = a.requiredInts("nodes_featureids");
        int n = features.length;
        double[] splits = sized(a, "nodes_splits", a.tensor("nodes_splits"), n);
        double[] modes = sized(a, "nodes_modes", a.tensor("nodes_modes"), n);
        long[] trueIds = sized(a, "nodes_truenodeids", a.requiredInts("nodes_truenodeids"), n);
        long[] falseIds = sized(a, "nodes_falsenodeids", a.requiredInts("nodes_falsenodeids"), n);
        long[] trueLeafs = sized(a, "nodes_trueleafs", a.requiredInts("nodes_trueleafs"), n);
        long[] falseLeafs = sized(a, "nodes_falseleafs", a.requiredInts("nodes_falseleafs"), n);
        long[] missing = a.ints("nodes_missing_value_tracks_true");
        if (missing != null && missing.length != 0 && missing.length != n) {
            throw a.unsupported("has " + missing.length + " nodes_missing_value_tracks_true for " + n + " nodes");
        }
        long[] leafTargets = a.requiredInts("leaf_targetids");
        double[] leafWeights = sized(a, "leaf_weights", a.tensor("leaf_weights"), leafTargets.length);
        long targetsAttribute = a.intValue("n_targets", 0);
        if (targetsAttribute < 1 || targetsAttribute > Integer.MAX_VALUE) {
            throw a.unsupported("has n_targets " + targetsAttribute);
        }
        int targets = (int) targetsAttribute;

        TreeEnsemble.Aggregate aggregate = switch ((int) a.intValue("aggregate_function", 1)) {
            case 0 -> TreeEnsemble.Aggregate.AVERAGE;
            case 1 -> TreeEnsemble.Aggregate.SUM;
            case 2, 3 -> throw a.unsupported("aggregates with " + (a.intValue("aggregate_function", 1) == 2
                    ? "MIN" : "MAX") + ", which is not a sum over the trees");
            default -> throw a.unsupported("has the unknown aggregate_function " + a.intValue("aggregate_function", 1));
        };
        long transformCode = a.intValue("post_transform", 0);
        OutputTransform transform = switch ((int) transformCode) {
            case 0 -> OutputTransform.NONE;
            case 1 -> throw swapped(a, "1 (SOFTMAX)", "LOGISTIC", targets);
            case 2 -> throw swapped(a, "2 (LOGISTIC)", "SOFTMAX", targets);
            case 3 -> OutputTransform.SOFTMAX_ZERO;
            case 4 -> throw a.unsupported("has post_transform 4 (PROBIT), which Prism does not reproduce");
            default -> throw a.unsupported("has the unknown post_transform " + transformCode);
        };
        if (transform != OutputTransform.NONE && targets == 1) {
            throw a.unsupported("has one target and post_transform " + transformCode
                    + ", which ONNX Runtime does not apply to one target");
        }

        List<double[]> sets = memberSets(a, a.tensor("membership_values"));
        int nextSet = 0;
        TreeEnsemble.Builder b = TreeEnsemble.builder(featureCount, targets).rounding(rounding, float32);
        for (int i = 0; i < n; i++) {
            boolean tracksTrue = missing != null && missing.length == n && missing[i] == 1;
            SplitMode mode = mode(a, modes[i]);
            int feature = feature(a, features[i]);
            if (mode == SplitMode.MEMBER) {
                if (nextSet == sets.size()) {
                    throw a.unsupported("has more BRANCH_MEMBER nodes than sets in membership_values");
                }
                b.member(feature, sets.get(nextSet++), tracksTrue);
            } else {
                b.split(feature, mode, splits[i], tracksTrue);
            }
        }
        for (int j = 0; j < leafTargets.length; j++) {
            int leaf = b.leaf();
            if (leafTargets[j] < 0 || leafTargets[j] >= targets) {
                throw a.unsupported("has leaf " + j + " voting for target " + leafTargets[j] + " of " + targets);
            }
            b.vote(leaf, (int) leafTargets[j], leafWeights[j]);
        }
        for (int i = 0; i < n; i++) {
            b.children(i, child(a, trueIds[i], trueLeafs[i], n, leafTargets.length),
                    child(a, falseIds[i], falseLeafs[i], n, leafTargets.length));
        }
        for (long root : roots) {
            if (root < 0 || root >= n) {
                throw a.unsupported("has tree root " + root + " of " + n + " interior nodes");
            }
            int r = (int) root;
            // A one-leaf tree is written as a node whose two branches are the same leaf.
            boolean oneLeaf = trueLeafs[r] == 1 && falseLeafs[r] == 1 && trueIds[r] == falseIds[r];
            b.tree(oneLeaf ? n + (int) trueIds[r] : r);
        }
        return b.aggregate(aggregate).transform(transform);
    }

    private static UnsupportedGraphException swapped(Attributes a, String transform, String appliedInstead, int targets) {
        return a.unsupported("has post_transform " + transform + ", which ONNX Runtime "
                + (targets == 1 ? "does not apply to one target" : "reads as " + appliedInstead));
    }

    /** The NaN-ended runs of membership_values, in order. */
    private static List<double[]> memberSets(Attributes a, double[] values) {
        List<double[]> sets = new ArrayList<>();
        if (values == null) {
            return sets;
        }
        int start = 0;
        for (int i = 0; i < values.length; i++) {
            if (Double.isNaN(values[i])) {
                sets.add(Arrays.copyOfRange(values, start, i));
                start = i + 1;
            }
        }
        if (start < values.length) {
            throw a.unsupported("has membership_values whose last set is not ended by a NaN");
        }
        return sets;
    }

    private static int child(Attributes a, long id, long isLeaf, int interior, int leaves) {
        if (isLeaf != 0 && isLeaf != 1) {
            throw a.unsupported("has a leaf flag " + isLeaf + "; flags are 0 or 1");
        }
        int bound = isLeaf == 1 ? leaves : interior;
        if (id < 0 || id >= bound) {
            throw a.unsupported("points to " + (isLeaf == 1 ? "leaf " : "node ") + id + " of " + bound);
        }
        return (int) (isLeaf == 1 ? interior + id : id);
    }

    private static int feature(Attributes a, long feature) {
        if (feature < 0 || feature > Integer.MAX_VALUE) {
            throw a.unsupported("splits on feature " + feature);
        }
        return (int) feature;
    }

    private static SplitMode mode(Attributes a, double code) {
        return switch ((int) code) {
            case 0 -> SplitMode.LEQ;
            case 1 -> SplitMode.LT;
            case 2 -> SplitMode.GTE;
            case 3 -> SplitMode.GT;
            case 4 -> SplitMode.EQ;
            case 5 -> SplitMode.NEQ;
            case 6 -> SplitMode.MEMBER;
            default -> throw a.unsupported("has the unknown node mode " + code);
        };
    }

    private static long[] sized(Attributes a, String name, long[] values, int n) {
        requireLength(a, name, values == null ? -1 : values.length, n);
        return values;
    }

    private static double[] sized(Attributes a, String name, double[] values, int n) {
        requireLength(a, name, values == null ? -1 : values.length, n);
        return values;
    }

    /** @param length −1 when the attribute is absent */
    private static void requireLength(Attributes a, String name, int length, int n) {
        if (length != n) {
            throw a.unsupported((length < 0 ? "has no " + name : "has " + length + " " + name) + " for " + n
                    + (name.startsWith("leaf") ? " leaves" : " nodes"));
        }
    }
}
