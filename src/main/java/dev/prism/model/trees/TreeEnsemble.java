package dev.prism.model.trees;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A tree ensemble read from a model, immutable, in flat arrays: nodes numbered across all trees
 * (interior splits and leaves together), each tree a root node. A node may have several parents
 * (trees may be DAGs). Prism computes the margins and the model's score columns from it itself:
 *
 * <ol>
 *   <li>margin k = base k + scale · Σ over trees of the votes for k of the leaf x reaches
 *       ({@link #margins}), in double;</li>
 *   <li>the margins laid out as score columns ({@link ScoreLayout}: binary classifiers with one
 *       margin have two columns);</li>
 *   <li>the post_transform ({@link OutputTransform});</li>
 *   <li>the element-wise nodes between the ensemble and the score output ({@link OutputStep}).</li>
 * </ol>
 *
 * <p>Routing follows ONNX Runtime: a value goes through {@link InputRounding} first, then the
 * node's comparison holds or the value is NaN and the node tracks missing values to true.
 * Thresholds are stored in the comparison's precision (rounded to float32 for a float ensemble).
 */
public final class TreeEnsemble implements Trees {
    /** How the trees' votes combine: summed, or summed and divided by the number of trees. */
    public enum Aggregate { SUM, AVERAGE }

    private static final int NO_FEATURE = -1;

    private final int featureCount;
    private final int targetCount;
    private final InputRounding rounding;
    private final int[] roots;
    private final int[] feature;
    private final SplitMode[] mode;
    private final double[] threshold;
    private final double[][] members;
    private final boolean[] tracksTrue;
    private final int[] trueChild;
    private final int[] falseChild;
    private final int[] voteStart;
    private final int[] voteTarget;
    private final double[] voteWeight;
    private final Aggregate aggregate;
    private final double[] base;
    private final ScoreLayout layout;
    private final OutputTransform transform;
    private final List<OutputStep> tail;
    private final int maxDepth;
    private final int leafCount;
    /** Per node, the covers the model states (nodes_hitrates), when they are a genuine count; else null. */
    private final double[] covers;
    /** Why the stated covers are not used, or null when they are. */
    private final String coversUnusable;

    private TreeEnsemble(Builder b, int nodes, double[] threshold, double[][] members, int[] voteStart,
                         int[] voteTarget, double[] voteWeight, int maxDepth, int leafCount) {
        this.featureCount = b.featureCount;
        this.targetCount = b.targetCount;
        this.rounding = b.rounding;
        this.roots = b.roots.stream().mapToInt(Integer::intValue).toArray();
        this.feature = Arrays.copyOf(b.feature, nodes);
        this.mode = Arrays.copyOf(b.mode, nodes);
        this.threshold = threshold;
        this.members = members;
        this.tracksTrue = Arrays.copyOf(b.tracksTrue, nodes);
        this.trueChild = Arrays.copyOf(b.trueChild, nodes);
        this.falseChild = Arrays.copyOf(b.falseChild, nodes);
        this.voteStart = voteStart;
        this.voteTarget = voteTarget;
        this.voteWeight = voteWeight;
        this.aggregate = b.aggregate;
        this.base = b.base == null ? new double[targetCount] : b.base.clone();
        this.layout = b.layout;
        this.transform = b.transform;
        this.tail = List.copyOf(b.tail);
        this.maxDepth = maxDepth;
        this.leafCount = leafCount;
        this.coversUnusable = b.covers == null ? "the model states no covers (nodes_hitrates)" : coversUnusable(b);
        this.covers = coversUnusable == null ? Arrays.copyOf(b.covers, nodes) : null;
    }

    /**
     * Why stated covers are no count of rows through the nodes: converters write 1.0 everywhere
     * (all equal), and a count has every interior node's cover equal to its children's sum, none
     * negative, and no node shared by two parents (whose one cover would mix them).
     */
    private String coversUnusable(Builder b) {
        double[] c = b.covers;
        boolean allEqual = true;
        for (int n = 0; n < nodes(); n++) {
            if (!(c[n] >= 0) || Double.isInfinite(c[n])) {
                return "node " + n + " states a cover of " + c[n];
            }
            allEqual &= c[n] == c[0];
        }
        if (allEqual) {
            return "every node states the same cover (" + c[0] + "), as converters write when they have none";
        }
        int[] parents = new int[nodes()];
        for (int n = 0; n < nodes(); n++) {
            if (feature[n] != NO_FEATURE && (++parents[trueChild[n]] > 1 || ++parents[falseChild[n]] > 1)) {
                return "the trees share nodes, so a node's one cover would mix several parents'";
            }
        }
        for (int n = 0; n < nodes(); n++) {
            if (feature[n] == NO_FEATURE) {
                continue;
            }
            double sum = c[trueChild[n]] + c[falseChild[n]];
            if (Math.abs(sum - c[n]) > 1e-6 * Math.max(1, Math.abs(c[n]))) {
                return "node " + n + " states a cover of " + c[n] + " but its children " + sum;
            }
        }
        return null;
    }

    private int nodes() {
        return feature.length;
    }

    /** Per node, the covers the model states, when they are a genuine count of rows (see {@link #coversUnusable()}). */
    public Optional<double[]> covers() {
        return Optional.ofNullable(covers).map(double[]::clone);
    }

    /** Why the model's stated covers cannot stand for rows through the nodes, or empty when they can. */
    public Optional<String> coversUnusable() {
        return Optional.ofNullable(coversUnusable);
    }

    public static Builder builder(int featureCount, int targetCount) {
        return new Builder(featureCount, targetCount);
    }

    @Override
    public int treeCount() {
        return roots.length;
    }

    @Override
    public int root(int tree) {
        return roots[tree];
    }

    @Override
    public int nodeCount() {
        return feature.length;
    }

    @Override
    public boolean isLeaf(int node) {
        return feature[node] == NO_FEATURE;
    }

    @Override
    public int feature(int node) {
        return feature[node];
    }

    @Override
    public boolean goesTrue(int node, double value) {
        return goesTrueRounded(node, rounding.apply(value));
    }

    /** {@link #goesTrue} for a value already in the model's precision. */
    private boolean goesTrueRounded(int node, double v) {
        boolean holds = mode[node] == SplitMode.MEMBER
                // + 0.0 turns −0.0 into 0.0, which the members hold in its place: −0.0 == 0.0.
                ? Arrays.binarySearch(members[node], v + 0.0) >= 0
                : mode[node].holds(v, threshold[node]);
        return holds || (tracksTrue[node] && Double.isNaN(v));
    }

    @Override
    public int trueChild(int node) {
        return trueChild[node];
    }

    @Override
    public int falseChild(int node) {
        return falseChild[node];
    }

    @Override
    public int voteCount(int leaf) {
        return voteStart[leaf + 1] - voteStart[leaf];
    }

    @Override
    public int voteTarget(int leaf, int vote) {
        return voteTarget[voteStart[leaf] + vote];
    }

    @Override
    public double voteWeight(int leaf, int vote) {
        return voteWeight[voteStart[leaf] + vote];
    }

    @Override
    public int targetCount() {
        return targetCount;
    }

    @Override
    public double scale() {
        return aggregate == Aggregate.AVERAGE ? 1.0 / roots.length : 1.0;
    }

    @Override
    public double base(int target) {
        return base[target];
    }

    /** Elements of an input row; feature ids are below it. */
    public int featureCount() {
        return featureCount;
    }

    public InputRounding rounding() {
        return rounding;
    }

    /** The split mode of an interior node. */
    public SplitMode mode(int node) {
        return mode[node];
    }

    /** The threshold of an interior node that is not a MEMBER split, in the comparison's precision. */
    public double threshold(int node) {
        return threshold[node];
    }

    /** The members of a MEMBER split, ascending; empty for other nodes. */
    public double[] members(int node) {
        return members[node] == null ? new double[0] : members[node].clone();
    }

    /** Whether a NaN takes the node's true child (besides NEQ, where NaN ≠ t holds anyway). */
    public boolean tracksTrue(int node) {
        return tracksTrue[node];
    }

    public Aggregate aggregate() {
        return aggregate;
    }

    public ScoreLayout layout() {
        return layout;
    }

    public OutputTransform transform() {
        return transform;
    }

    /** The element-wise nodes after the ensemble, in the order they apply. */
    public List<OutputStep> tail() {
        return tail;
    }

    /** Score columns of {@link #outputs}: the model's score output. */
    public int outputCount() {
        return layout.columns(targetCount);
    }

    /** Edges on the longest path from a root to a leaf. */
    public int maxDepth() {
        return maxDepth;
    }

    /** Leaves reachable from the roots, each counted once however many paths reach it. */
    public int leafCount() {
        return leafCount;
    }

    /** The leaf a tree routes x to. */
    public int leaf(int tree, double[] x) {
        return leafRounded(tree, rounded(x));
    }

    /** x in the model's precision, as every comparison takes it. */
    private double[] rounded(double[] x) {
        if (rounding == InputRounding.NONE) {
            return x;
        }
        double[] r = new double[x.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = rounding.apply(x[i]);
        }
        return r;
    }

    private int leafRounded(int tree, double[] rounded) {
        int node = roots[tree];
        while (feature[node] != NO_FEATURE) {
            node = goesTrueRounded(node, rounded[feature[node]]) ? trueChild[node] : falseChild[node];
        }
        return node;
    }

    /** The margins of x (one per target), in double. */
    public double[] margins(double[] x) {
        if (x.length != featureCount) {
            throw new IllegalArgumentException(x.length + " values for " + featureCount + " features");
        }
        double[] sums = new double[targetCount];
        double[] r = rounded(x);
        for (int t = 0; t < roots.length; t++) {
            int leaf = leafRounded(t, r);
            for (int v = voteStart[leaf]; v < voteStart[leaf + 1]; v++) {
                sums[voteTarget[v]] += voteWeight[v];
            }
        }
        double scale = scale();
        for (int k = 0; k < targetCount; k++) {
            sums[k] = sums[k] * scale + base[k];
        }
        return sums;
    }

    /** The model's score columns for x: {@link #outputsOfMargins} of its margins. */
    public double[] outputs(double[] x) {
        return outputsOfMargins(margins(x));
    }

    /** The score columns for the given margins: laid out, transformed, then the tail applied. */
    public double[] outputsOfMargins(double[] margins) {
        if (margins.length != targetCount) {
            throw new IllegalArgumentException(margins.length + " margins for " + targetCount + " targets");
        }
        double[] columns = layout.lay(margins);
        transform.apply(columns);
        for (OutputStep step : tail) {
            step.apply(columns);
        }
        return columns;
    }

    /**
     * Collects an ensemble node by node. Node ids are handed out in the order nodes are added;
     * {@link #build} checks the whole and refuses, with a message naming the node, an ensemble that
     * is not a set of finite trees or DAGs over the given features and targets.
     */
    public static final class Builder {
        private final int featureCount;
        private final int targetCount;
        private InputRounding rounding = InputRounding.NONE;
        private boolean float32;
        private int nodes;
        private int[] feature = new int[16];
        private SplitMode[] mode = new SplitMode[16];
        private double[] threshold = new double[16];
        private double[][] members = new double[16][];
        private boolean[] tracksTrue = new boolean[16];
        private int[] trueChild = new int[16];
        private int[] falseChild = new int[16];
        private int votes;
        private int[] voteLeaf = new int[16];
        private int[] voteTarget = new int[16];
        private double[] voteWeight = new double[16];
        private final List<Integer> roots = new ArrayList<>();
        private Aggregate aggregate = Aggregate.SUM;
        private double[] base;
        private ScoreLayout layout = ScoreLayout.TARGETS;
        private OutputTransform transform = OutputTransform.NONE;
        private final List<OutputStep> tail = new ArrayList<>();
        private double[] covers;

        private Builder(int featureCount, int targetCount) {
            if (featureCount < 1 || targetCount < 1) {
                throw new IllegalArgumentException("an ensemble needs features and targets, not "
                        + featureCount + " and " + targetCount);
            }
            this.featureCount = featureCount;
            this.targetCount = targetCount;
        }

        /**
         * How input values reach the comparisons.
         *
         * @param float32Thresholds the ensemble compares in float32: thresholds and members are
         *                          rounded to float, and so are the values
         */
        public Builder rounding(InputRounding rounding, boolean float32Thresholds) {
            this.rounding = float32Thresholds ? rounding.thenFloat32() : rounding;
            this.float32 = float32Thresholds;
            return this;
        }

        /** An interior node comparing the feature with a threshold; its children come later. */
        public int split(int feature, SplitMode mode, double threshold, boolean tracksTrue) {
            if (mode == SplitMode.MEMBER) {
                throw new IllegalArgumentException("a MEMBER split takes its members: use member()");
            }
            int node = add(feature, mode, tracksTrue);
            this.threshold[node] = threshold;
            return node;
        }

        /** An interior node testing whether the feature is one of the values. */
        public int member(int feature, double[] values, boolean tracksTrue) {
            int node = add(feature, SplitMode.MEMBER, tracksTrue);
            members[node] = values.clone();
            return node;
        }

        public int leaf() {
            return add(NO_FEATURE, null, false);
        }

        public Builder children(int node, int whenTrue, int whenFalse) {
            checkNode(node);
            trueChild[node] = whenTrue;
            falseChild[node] = whenFalse;
            return this;
        }

        /** Adds a vote of the leaf for the target; a leaf may vote several times. */
        public Builder vote(int leaf, int target, double weight) {
            checkNode(leaf);
            if (votes == voteLeaf.length) {
                voteLeaf = Arrays.copyOf(voteLeaf, 2 * votes);
                voteTarget = Arrays.copyOf(voteTarget, 2 * votes);
                voteWeight = Arrays.copyOf(voteWeight, 2 * votes);
            }
            voteLeaf[votes] = leaf;
            voteTarget[votes] = target;
            voteWeight[votes] = weight;
            votes++;
            return this;
        }

        /** Adds a tree with the given root. */
        public Builder tree(int root) {
            checkNode(root);
            roots.add(root);
            return this;
        }

        public Builder aggregate(Aggregate aggregate) {
            this.aggregate = aggregate;
            return this;
        }

        /** One constant per target, added to the margins after aggregation. */
        public Builder base(double... base) {
            this.base = base.clone();
            return this;
        }

        public Builder layout(ScoreLayout layout) {
            this.layout = layout;
            return this;
        }

        public Builder transform(OutputTransform transform) {
            this.transform = transform;
            return this;
        }

        /** The covers the model states per node (nodes_hitrates), in node order; checked at build. */
        public Builder covers(double[] perNode) {
            this.covers = perNode.clone();
            return this;
        }

        /** Appends an element-wise node after the transform. */
        public Builder step(OutputStep step) {
            tail.add(step);
            return this;
        }

        private int add(int feature, SplitMode mode, boolean tracksTrue) {
            if (nodes == this.feature.length) {
                int n = 2 * nodes;
                this.feature = Arrays.copyOf(this.feature, n);
                this.mode = Arrays.copyOf(this.mode, n);
                this.threshold = Arrays.copyOf(this.threshold, n);
                this.members = Arrays.copyOf(this.members, n);
                this.tracksTrue = Arrays.copyOf(this.tracksTrue, n);
                this.trueChild = Arrays.copyOf(this.trueChild, n);
                this.falseChild = Arrays.copyOf(this.falseChild, n);
            }
            int node = nodes++;
            this.feature[node] = feature;
            this.mode[node] = mode;
            this.tracksTrue[node] = tracksTrue;
            this.trueChild[node] = -1;
            this.falseChild[node] = -1;
            return node;
        }

        private void checkNode(int node) {
            if (node < 0 || node >= nodes) {
                throw new IllegalArgumentException("node " + node + " does not exist (" + nodes + " nodes)");
            }
        }

        /**
         * @throws IllegalArgumentException naming what is wrong: a missing or self child, a feature
         *         or target out of range, a vote on an interior node, a cycle, base values or tail
         *         constants of the wrong length
         */
        public TreeEnsemble build() {
            if (roots.isEmpty()) {
                throw new IllegalArgumentException("the ensemble has no trees");
            }
            for (int n = 0; n < nodes; n++) {
                if (feature[n] == NO_FEATURE) {
                    continue;
                }
                if (feature[n] < 0 || feature[n] >= featureCount) {
                    throw new IllegalArgumentException("node " + n + " splits on feature " + feature[n]
                            + "; the input has " + featureCount);
                }
                for (int child : new int[] {trueChild[n], falseChild[n]}) {
                    if (child < 0 || child >= nodes) {
                        throw new IllegalArgumentException("node " + n + " has no child " + child);
                    }
                    if (child == n) {
                        throw new IllegalArgumentException("node " + n + " is its own child");
                    }
                }
            }
            if (covers != null && covers.length != nodes) {
                throw new IllegalArgumentException(covers.length + " covers for " + nodes + " nodes");
            }
            if (base != null && base.length != targetCount) {
                throw new IllegalArgumentException(base.length + " base values for " + targetCount + " targets");
            }
            if (layout != ScoreLayout.TARGETS && targetCount != 1) {
                throw new IllegalArgumentException("the " + layout + " layout takes one target, not " + targetCount);
            }
            int columns = layout.columns(targetCount);
            for (OutputStep step : tail) {
                int n = step.constant().length;
                if (n > 1 && n != columns) {
                    throw new IllegalArgumentException(step + " has " + n + " constants for " + columns + " columns");
                }
            }
            // Votes grouped by leaf (stable, so a leaf's votes keep their order).
            int[] start = new int[nodes + 1];
            for (int v = 0; v < votes; v++) {
                int leaf = voteLeaf[v];
                if (feature[leaf] != NO_FEATURE) {
                    throw new IllegalArgumentException("node " + leaf + " votes but is not a leaf");
                }
                if (voteTarget[v] < 0 || voteTarget[v] >= targetCount) {
                    throw new IllegalArgumentException("leaf " + leaf + " votes for target " + voteTarget[v]
                            + "; the ensemble has " + targetCount);
                }
                start[leaf + 1]++;
            }
            for (int n = 0; n < nodes; n++) {
                start[n + 1] += start[n];
            }
            int[] fill = Arrays.copyOf(start, nodes);
            int[] targets = new int[votes];
            double[] weights = new double[votes];
            for (int v = 0; v < votes; v++) {
                int at = fill[voteLeaf[v]]++;
                targets[at] = voteTarget[v];
                weights[at] = voteWeight[v];
            }
            int[] depth = depths();
            int maxDepth = 0;
            for (int root : roots) {
                maxDepth = Math.max(maxDepth, depth[root]);
            }
            int leaves = 0;
            for (int n = 0; n < nodes; n++) {
                if (feature[n] == NO_FEATURE && depth[n] == 0) {
                    leaves++;
                }
            }
            double[] thresholds = new double[nodes];
            double[][] sets = new double[nodes][];
            for (int n = 0; n < nodes; n++) {
                thresholds[n] = float32 ? (float) threshold[n] : threshold[n];
                if (members[n] != null) {
                    sets[n] = new double[members[n].length];
                    for (int i = 0; i < sets[n].length; i++) {
                        // + 0.0 turns −0.0 into 0.0, so that a binary search finds either.
                        sets[n][i] = (float32 ? (float) members[n][i] : members[n][i]) + 0.0;
                    }
                    Arrays.sort(sets[n]);
                }
            }
            return new TreeEnsemble(this, nodes, thresholds, sets, start, targets, weights, maxDepth, leaves);
        }

        /**
         * The height of every node reachable from a root (edges to its deepest leaf), −1 for the
         * others; refuses a cycle. Iterative: trees may be deeper than the call stack.
         */
        private int[] depths() {
            int[] depth = new int[nodes];
            Arrays.fill(depth, -1);
            byte[] state = new byte[nodes]; // 0 unseen, 1 on the path, 2 done
            int[] stack = new int[nodes];
            for (int root : roots) {
                if (state[root] == 2) {
                    continue;
                }
                int top = 0;
                stack[top++] = root;
                state[root] = 1;
                while (top > 0) {
                    int n = stack[top - 1];
                    if (feature[n] == NO_FEATURE) {
                        depth[n] = 0;
                        state[n] = 2;
                        top--;
                        continue;
                    }
                    int next = -1;
                    for (int child : new int[] {trueChild[n], falseChild[n]}) {
                        if (state[child] == 1) {
                            throw new IllegalArgumentException("node " + n + " leads back to node " + child
                                    + ": a tree must not have cycles");
                        }
                        if (state[child] == 0) {
                            next = child;
                            break;
                        }
                    }
                    if (next >= 0) {
                        state[next] = 1;
                        stack[top++] = next;
                    } else {
                        depth[n] = 1 + Math.max(depth[trueChild[n]], depth[falseChild[n]]);
                        state[n] = 2;
                        top--;
                    }
                }
            }
            return depth;
        }
    }
}
