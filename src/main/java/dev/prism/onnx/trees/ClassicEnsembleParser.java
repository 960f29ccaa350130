package dev.prism.onnx.trees;

import dev.prism.model.trees.InputRounding;
import dev.prism.model.trees.OutputTransform;
import dev.prism.model.trees.ScoreLayout;
import dev.prism.model.trees.SplitMode;
import dev.prism.model.trees.TreeEnsemble;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads {@code TreeEnsembleClassifier} and {@code TreeEnsembleRegressor} (ai.onnx.ml 1 and 3, float
 * attributes or their {@code *_as_tensor} double twins) as ONNX Runtime builds them: nodes keyed by
 * (tree id, node id), a tree's root the first node listed with its id, children looked up in the
 * same tree, each leaf's votes a sparse vector over the targets or classes.
 *
 * <p>What ONNX Runtime computes in a way Prism does not reproduce is refused, naming why: MIN/MAX
 * aggregation, PROBIT, a transform ONNX Runtime skips for one target, a one-column binary classifier
 * under SOFTMAX, two-class classifiers voting for both classes, base values of an unexpected length.
 */
final class ClassicEnsembleParser {
    static final String CLASSIFIER = "TreeEnsembleClassifier";
    static final String REGRESSOR = "TreeEnsembleRegressor";

    private ClassicEnsembleParser() {
    }

    static TreeEnsemble.Builder parse(Attributes a, int featureCount, InputRounding rounding, boolean float32) {
        boolean classifier = a.node().getOpType().equals(CLASSIFIER);
        long[] treeIds = a.requiredInts("nodes_treeids");
        int n = treeIds.length;
        long[] nodeIds = sized(a, "nodes_nodeids", a.requiredInts("nodes_nodeids"), n);
        long[] features = sized(a, "nodes_featureids", a.requiredInts("nodes_featureids"), n);
        long[] trueIds = sized(a, "nodes_truenodeids", a.requiredInts("nodes_truenodeids"), n);
        long[] falseIds = sized(a, "nodes_falsenodeids", a.requiredInts("nodes_falsenodeids"), n);
        String[] modes = a.strings("nodes_modes");
        if (modes == null || modes.length != n) {
            throw a.unsupported("has " + (modes == null ? "no" : modes.length) + " nodes_modes for " + n + " nodes");
        }
        double[] values = a.floatsOrTensor("nodes_values");
        values = values == null && n == 0 ? new double[0] : values;
        if (values == null || values.length != n) {
            throw a.unsupported("has " + (values == null ? "no" : values.length) + " nodes_values for " + n + " nodes");
        }
        long[] missing = a.ints("nodes_missing_value_tracks_true");

        String prefix = classifier ? "class_" : "target_";
        long[] voteTrees = a.ints(prefix + "treeids");
        long[] voteNodes = a.ints(prefix + "nodeids");
        long[] voteIds = a.ints(prefix + "ids");
        double[] voteWeights = a.floatsOrTensor(prefix + "weights");
        int votes = voteTrees == null ? 0 : voteTrees.length;
        if (voteNodes == null && votes > 0 || voteNodes != null && voteNodes.length != votes
                || voteIds == null && votes > 0 || voteIds != null && voteIds.length != votes
                || voteWeights == null && votes > 0 || voteWeights != null && voteWeights.length != votes) {
            throw a.unsupported("has " + prefix + "treeids, nodeids, ids and weights of different lengths");
        }

        // Nodes keyed by (tree id, node id); a tree's nodes must be listed together (ONNX Runtime
        // starts a new tree wherever the tree id changes).
        Map<Long, Integer> index = new HashMap<>();
        Set<Long> finishedTrees = new HashSet<>();
        for (int i = 0; i < n; i++) {
            if (i > 0 && treeIds[i] != treeIds[i - 1]) {
                finishedTrees.add(treeIds[i - 1]);
            }
            if (finishedTrees.contains(treeIds[i])) {
                throw a.unsupported("lists the nodes of tree " + treeIds[i] + " in more than one run; "
                        + "ONNX Runtime would read them as separate trees");
            }
            if (index.put(key(a, treeIds[i], nodeIds[i]), i) != null) {
                throw a.unsupported("has node " + nodeIds[i] + " of tree " + treeIds[i] + " twice");
            }
        }

        Set<Long> votedClasses = new TreeSet<>();
        boolean negativeWeight = false;
        for (int v = 0; v < votes; v++) {
            votedClasses.add(voteIds[v]);
            negativeWeight |= voteWeights[v] < 0;
        }
        String transformName = a.string("post_transform", "NONE");
        double[] base = a.floatsOrTensor("base_values");
        base = base == null ? new double[0] : base;

        int targets;
        ScoreLayout layout = ScoreLayout.TARGETS;
        OutputTransform transform;
        TreeEnsemble.Aggregate aggregate = TreeEnsemble.Aggregate.SUM;
        if (classifier) {
            long[] intLabels = a.ints("classlabels_int64s");
            String[] stringLabels = a.strings("classlabels_strings");
            int classes = intLabels != null && intLabels.length > 0 ? intLabels.length
                    : stringLabels == null ? 0 : stringLabels.length;
            if (classes < 2) {
                throw a.unsupported("has " + classes + " class labels; Prism reads classifiers of two or more classes");
            }
            transform = transform(a, transformName);
            if (classes == 2) {
                if (!votedClasses.equals(Set.of(0L))) {
                    throw a.unsupported("is a two-class classifier voting for classes " + votedClasses
                            + "; Prism reads the one-column form (every vote for class 0), whose score "
                            + "columns ONNX Runtime computes consistently");
                }
                if (base.length > 1) {
                    throw a.unsupported("is a one-column binary classifier with " + base.length
                            + " base_values; ONNX Runtime uses one");
                }
                targets = 1;
                switch (transform) {
                    case NONE -> layout = negativeWeight ? ScoreLayout.NEGATED_PAIR : ScoreLayout.COMPLEMENT_PAIR;
                    case LOGISTIC -> layout = ScoreLayout.NEGATED_PAIR;
                    default -> throw a.unsupported("is a one-column binary classifier with post_transform "
                            + transformName + ", which ONNX Runtime does not apply to it");
                }
            } else {
                targets = classes;
                if (base.length != 0 && base.length != classes) {
                    throw a.unsupported("has " + base.length + " base_values for " + classes + " classes");
                }
            }
        } else {
            targets = Math.toIntExact(Math.max(0, Math.min(Integer.MAX_VALUE, a.intValue("n_targets", 0))));
            if (targets < 1) {
                throw a.unsupported("has n_targets " + a.intValue("n_targets", 0));
            }
            if (base.length != 0 && base.length != targets) {
                throw a.unsupported("has " + base.length + " base_values for " + targets + " targets");
            }
            String aggregateName = a.string("aggregate_function", "SUM");
            aggregate = switch (aggregateName) {
                case "SUM" -> TreeEnsemble.Aggregate.SUM;
                case "AVERAGE" -> TreeEnsemble.Aggregate.AVERAGE;
                case "MIN", "MAX" -> throw a.unsupported("aggregates with " + aggregateName
                        + ", which is not a sum over the trees");
                default -> throw a.unsupported("has the unknown aggregate_function '" + aggregateName + "'");
            };
            transform = transform(a, transformName);
            if (targets == 1 && transform != OutputTransform.NONE) {
                throw a.unsupported("has one target and post_transform " + transformName
                        + ", which ONNX Runtime does not apply to one target");
            }
        }

        TreeEnsemble.Builder b = TreeEnsemble.builder(featureCount, targets).rounding(rounding, float32);
        for (int i = 0; i < n; i++) {
            if (modes[i].equals("LEAF")) {
                b.leaf();
            } else {
                boolean tracksTrue = missing != null && i < missing.length && missing[i] == 1;
                b.split(feature(a, features[i]), mode(a, modes[i]), values[i], tracksTrue);
            }
        }
        for (int i = 0; i < n; i++) {
            if (!modes[i].equals("LEAF")) {
                b.children(i, child(a, index, treeIds[i], trueIds[i]), child(a, index, treeIds[i], falseIds[i]));
            }
            if (i == 0 || treeIds[i] != treeIds[i - 1]) {
                b.tree(i);
            }
        }
        double[] hitrates = a.floatsOrTensor("nodes_hitrates");
        if (hitrates != null && hitrates.length == n) {
            b.covers(hitrates);
        }
        for (int v = 0; v < votes; v++) {
            Integer leaf = index.get(key(a, voteTrees[v], voteNodes[v]));
            if (leaf == null) {
                throw a.unsupported("votes from node " + voteNodes[v] + " of tree " + voteTrees[v]
                        + ", which does not exist");
            }
            if (voteIds[v] < 0 || voteIds[v] >= targets && layout == ScoreLayout.TARGETS) {
                throw a.unsupported("votes for " + (classifier ? "class " : "target ") + voteIds[v] + " of " + targets);
            }
            b.vote(leaf, layout == ScoreLayout.TARGETS ? (int) voteIds[v] : 0, voteWeights[v]);
        }
        return b.aggregate(aggregate).base(base.length == 0 ? new double[targets] : base)
                .layout(layout).transform(transform);
    }

    private static long[] sized(Attributes a, String name, long[] values, int n) {
        if (values.length != n) {
            throw a.unsupported("has " + values.length + " " + name + " for " + n + " nodes");
        }
        return values;
    }

    private static long key(Attributes a, long tree, long node) {
        if (tree < 0 || tree > Integer.MAX_VALUE || node < 0 || node > Integer.MAX_VALUE) {
            throw a.unsupported("has tree id " + tree + " and node id " + node + "; ids are ints from 0");
        }
        return tree << 32 | node;
    }

    private static int child(Attributes a, Map<Long, Integer> index, long tree, long node) {
        Integer i = index.get(key(a, tree, node));
        if (i == null) {
            throw a.unsupported("points to node " + node + " of tree " + tree + ", which does not exist");
        }
        return i;
    }

    private static int feature(Attributes a, long feature) {
        if (feature < 0 || feature > Integer.MAX_VALUE) {
            throw a.unsupported("splits on feature " + feature);
        }
        return (int) feature;
    }

    private static SplitMode mode(Attributes a, String mode) {
        return switch (mode) {
            case "BRANCH_LEQ" -> SplitMode.LEQ;
            case "BRANCH_LT" -> SplitMode.LT;
            case "BRANCH_GTE" -> SplitMode.GTE;
            case "BRANCH_GT" -> SplitMode.GT;
            case "BRANCH_EQ" -> SplitMode.EQ;
            case "BRANCH_NEQ" -> SplitMode.NEQ;
            default -> throw a.unsupported("has the unknown node mode '" + mode + "'");
        };
    }

    private static OutputTransform transform(Attributes a, String name) {
        return switch (name) {
            case "NONE" -> OutputTransform.NONE;
            case "LOGISTIC" -> OutputTransform.LOGISTIC;
            case "SOFTMAX" -> OutputTransform.SOFTMAX;
            case "SOFTMAX_ZERO" -> OutputTransform.SOFTMAX_ZERO;
            case "PROBIT" -> throw a.unsupported("has post_transform PROBIT, which Prism does not reproduce");
            default -> throw a.unsupported("has the unknown post_transform '" + name + "'");
        };
    }
}
