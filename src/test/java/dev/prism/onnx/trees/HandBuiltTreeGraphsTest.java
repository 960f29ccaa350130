package dev.prism.onnx.trees;

import static dev.prism.onnx.trees.OnnxTrees.DOUBLE;
import static dev.prism.onnx.trees.OnnxTrees.FLOAT;
import static dev.prism.onnx.trees.OnnxTrees.INT64;
import static dev.prism.onnx.trees.OnnxTrees.ML;
import static dev.prism.onnx.trees.OnnxTrees.doubleTensor;
import static dev.prism.onnx.trees.OnnxTrees.floatTensor;
import static dev.prism.onnx.trees.OnnxTrees.floats;
import static dev.prism.onnx.trees.OnnxTrees.integer;
import static dev.prism.onnx.trees.OnnxTrees.ints;
import static dev.prism.onnx.trees.OnnxTrees.model;
import static dev.prism.onnx.trees.OnnxTrees.node;
import static dev.prism.onnx.trees.OnnxTrees.string;
import static dev.prism.onnx.trees.OnnxTrees.strings;
import static dev.prism.onnx.trees.OnnxTrees.tensor;
import static dev.prism.onnx.trees.OnnxTrees.uint8Tensor;
import static dev.prism.onnx.trees.OnnxTrees.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.prism.model.Model;
import dev.prism.model.RowBatch;
import dev.prism.model.trees.InputRounding;
import dev.prism.model.trees.ProbeRows;
import dev.prism.model.trees.TreeEnsemble;
import dev.prism.onnx.OnnxModelLoader;
import dev.prism.repository.ModelSettings;
import dev.prism.tensor.RowBlock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hand-written graphs for what the converters do not emit: opset-5 TreeEnsemble with set
 * membership, NEQ and NaN, AVERAGE over trees voting for different targets, sparse multi-target
 * leaves, double attributes, tails of arithmetic, casts in front, and the refusals, each naming its
 * reason. Supported ones are compared with ONNX Runtime on rows drawn from the values the splits
 * use, NaN included.
 */
class HandBuiltTreeGraphsTest {
    private static final OnnxModelLoader LOADER = new OnnxModelLoader(1);
    private static final double NAN = Double.NaN;

    @TempDir
    Path dir;
    private int models;

    private Model load(ModelProto proto) throws IOException {
        Path file = dir.resolve("m" + models++ + ".onnx");
        Files.write(file, proto.toByteArray());
        return LOADER.load(file, ModelSettings.DEFAULTS, "cpu");
    }

    /** Rows whose values are drawn from the given ones. */
    private static RowBlock rowsFrom(int rows, int features, double[] values, long seed) {
        Random random = new Random(seed);
        double[] data = new double[rows * features];
        for (int i = 0; i < data.length; i++) {
            data[i] = values[random.nextInt(values.length)];
        }
        return new RowBlock(rows, features, data);
    }

    private static void assertMatchesOnnxRuntime(Model model, RowBlock rows) {
        TreeEnsemble trees = model.trees().orElseThrow(() -> new AssertionError(model.treesUnsupported()));
        ConvertedTreeModelsTest.assertSameOutputs(trees, model, rows, "hand-built");
        ConvertedTreeModelsTest.assertSameOutputs(trees, model, ProbeRows.of(trees, 200, 3), "probe");
    }

    private static NodeProto regressor(String name, List<String> out, AttributeProto... extra) {
        return node("TreeEnsembleRegressor", ML, name, List.of("x"), out, extra);
    }

    // ---- opset 5 ----

    private static ModelProto memberModel() {
        // Tree 0: x0 ∈ {1, 3, 5} (NaN true) ? (x1 ≠ 0.5 ? t1 +1 : t0 +2) : t0 +10.
        // Tree 1: x1 ∈ {0.5, 2} ? t1 +100 : t1 −100.
        NodeProto trees = node("TreeEnsemble", ML, "trees", List.of("x"), List.of("y"),
                ints("tree_roots", 0, 2),
                ints("nodes_featureids", 0, 1, 1),
                tensor("nodes_splits", floatTensor("s", new long[] {3}, 0, 0.5, 0)),
                tensor("nodes_modes", uint8Tensor("m", 6, 5, 6)),
                ints("nodes_truenodeids", 1, 1, 3), ints("nodes_trueleafs", 0, 1, 1),
                ints("nodes_falsenodeids", 0, 2, 4), ints("nodes_falseleafs", 1, 1, 1),
                ints("nodes_missing_value_tracks_true", 1, 0, 0),
                tensor("membership_values", floatTensor("v", new long[] {7}, 1, 3, 5, NAN, 0.5, 2, NAN)),
                ints("leaf_targetids", 0, 1, 0, 1, 1),
                tensor("leaf_weights", floatTensor("w", new long[] {5}, 10, 1, 2, 100, -100)),
                integer("n_targets", 2), integer("aggregate_function", 1), integer("post_transform", 0));
        return model(5, List.of(trees), List.of(), value("x", FLOAT, -1, 2), value("y", FLOAT, -1, 2));
    }

    @Test
    void opset5MembershipNeqAndNaNRouteAsOnnxRuntimeRoutes() throws IOException {
        try (Model model = load(memberModel())) {
            TreeEnsemble trees = model.trees().orElseThrow(() -> new AssertionError(model.treesUnsupported()));
            assertArrayEquals(new double[] {0, -99}, trees.margins(new double[] {3, 7}));
            assertArrayEquals(new double[] {0, -99}, trees.margins(new double[] {NAN, NAN}), "NaN: member, then NEQ");
            assertArrayEquals(new double[] {10, 100}, trees.margins(new double[] {2, 0.5}));
            assertArrayEquals(new double[] {2, 100}, trees.margins(new double[] {5, 0.5}));
            assertArrayEquals(new double[] {1, 3, 5}, trees.members(0));
            assertArrayEquals(new double[] {0.5, 2}, trees.members(2));
            assertEquals(2, trees.maxDepth());
            assertEquals(5, trees.leafCount());
            assertMatchesOnnxRuntime(model, rowsFrom(300, 2, new double[] {0, 0.5, 1, 2, 3, 4, 5, NAN}, 1));
        }
    }

    @Test
    void aOneLeafOpset5TreeIsThatLeaf() throws IOException {
        NodeProto trees = node("TreeEnsemble", ML, "trees", List.of("x"), List.of("y"),
                ints("tree_roots", 0, 1),
                ints("nodes_featureids", 0, 0),
                tensor("nodes_splits", floatTensor("s", new long[] {2}, 0, 0)),
                tensor("nodes_modes", uint8Tensor("m", 0, 0)),
                ints("nodes_truenodeids", 0, 1), ints("nodes_trueleafs", 1, 1),
                ints("nodes_falsenodeids", 0, 2), ints("nodes_falseleafs", 1, 1),
                ints("leaf_targetids", 0, 0, 0),
                tensor("leaf_weights", floatTensor("w", new long[] {3}, 4, 1, 2)),
                integer("n_targets", 1), integer("aggregate_function", 0));
        try (Model model = load(model(5, List.of(trees), List.of(), value("x", FLOAT, -1, 1),
                value("y", FLOAT, -1, 1)))) {
            TreeEnsemble t = model.trees().orElseThrow(() -> new AssertionError(model.treesUnsupported()));
            assertTrue(t.isLeaf(t.root(0)));
            assertEquals(1, t.maxDepth());
            assertArrayEquals(new double[] {(4 + 1) / 2.0}, t.margins(new double[] {-1}));
            assertMatchesOnnxRuntime(model, rowsFrom(50, 1, new double[] {-1, 0, 1, NAN}, 2));
        }
    }

    // ---- opset 1 and 3 ----

    @Test
    void averageDividesByAllTreesEvenWhenEachVotesForOneTarget() throws IOException {
        // Tree 0: one leaf voting 3 for target 0. Tree 1: one leaf voting 6 for target 1.
        // Tree 2: x0 ≠ 1 ? 9 : 12, both for target 0. AVERAGE, base [0.5, −0.5].
        NodeProto trees = regressor("trees", List.of("y"),
                ints("nodes_treeids", 0, 1, 2, 2, 2), ints("nodes_nodeids", 0, 0, 0, 1, 2),
                ints("nodes_featureids", 0, 0, 0, 0, 0), floats("nodes_values", 0, 0, 1, 0, 0),
                strings("nodes_modes", "LEAF", "LEAF", "BRANCH_NEQ", "LEAF", "LEAF"),
                ints("nodes_truenodeids", 0, 0, 1, 0, 0), ints("nodes_falsenodeids", 0, 0, 2, 0, 0),
                ints("target_treeids", 0, 1, 2, 2), ints("target_nodeids", 0, 0, 1, 2),
                ints("target_ids", 0, 1, 0, 0), floats("target_weights", 3, 6, 9, 12),
                floats("base_values", 0.5, -0.5), integer("n_targets", 2), string("aggregate_function", "AVERAGE"));
        try (Model model = load(model(1, List.of(trees), List.of(), value("x", FLOAT, -1, 1),
                value("y", FLOAT, -1, 2)))) {
            TreeEnsemble t = model.trees().orElseThrow(() -> new AssertionError(model.treesUnsupported()));
            assertArrayEquals(new double[] {(3 + 9) / 3.0 + 0.5, 6 / 3.0 - 0.5}, t.margins(new double[] {2}));
            assertArrayEquals(new double[] {(3 + 12) / 3.0 + 0.5, 6 / 3.0 - 0.5}, t.margins(new double[] {1}));
            assertArrayEquals(new double[] {(3 + 9) / 3.0 + 0.5, 6 / 3.0 - 0.5}, t.margins(new double[] {NAN}),
                    "NaN ≠ 1 holds");
            assertMatchesOnnxRuntime(model, rowsFrom(100, 1, new double[] {0, 1, 2, NAN}, 3));
        }
    }

    @Test
    void leavesVoteSparselyForSeveralTargets() throws IOException {
        // Tree 0: x0 <= 0 ? {t2: 0.25, t0: 1, t2: 0.5} : {t1: −2}. Tree 1: one leaf {t0: 0.125}.
        NodeProto trees = regressor("trees", List.of("y"),
                ints("nodes_treeids", 0, 0, 0, 1), ints("nodes_nodeids", 0, 1, 2, 0),
                ints("nodes_featureids", 0, 0, 0, 0), floats("nodes_values", 0, 0, 0, 0),
                strings("nodes_modes", "BRANCH_LEQ", "LEAF", "LEAF", "LEAF"),
                ints("nodes_truenodeids", 1, 0, 0, 0), ints("nodes_falsenodeids", 2, 0, 0, 0),
                ints("nodes_missing_value_tracks_true", 1, 0, 0, 0),
                ints("target_treeids", 0, 0, 0, 0, 1), ints("target_nodeids", 1, 1, 1, 2, 0),
                ints("target_ids", 2, 0, 2, 1, 0), floats("target_weights", 0.25, 1, 0.5, -2, 0.125),
                integer("n_targets", 3));
        try (Model model = load(model(1, List.of(trees), List.of(), value("x", FLOAT, -1, 1),
                value("y", FLOAT, -1, 3)))) {
            TreeEnsemble t = model.trees().orElseThrow(() -> new AssertionError(model.treesUnsupported()));
            assertArrayEquals(new double[] {1.125, 0, 0.75}, t.margins(new double[] {-1}));
            assertArrayEquals(new double[] {1.125, 0, 0.75}, t.margins(new double[] {NAN}), "NaN tracks true");
            assertArrayEquals(new double[] {0.125, -2, 0}, t.margins(new double[] {1}));
            assertMatchesOnnxRuntime(model, rowsFrom(100, 1, new double[] {-1, 0, 1, NAN}, 4));
        }
    }

    @Test
    void doubleAttributesOfOpset3CompareInDouble() throws IOException {
        NodeProto trees = regressor("trees", List.of("y"),
                ints("nodes_treeids", 0, 0, 0), ints("nodes_nodeids", 0, 1, 2), ints("nodes_featureids", 0, 0, 0),
                tensor("nodes_values_as_tensor", doubleTensor("v", 0.1, 0, 0)),
                strings("nodes_modes", "BRANCH_LEQ", "LEAF", "LEAF"),
                ints("nodes_truenodeids", 1, 0, 0), ints("nodes_falsenodeids", 2, 0, 0),
                ints("target_treeids", 0, 0), ints("target_nodeids", 1, 2), ints("target_ids", 0, 0),
                tensor("target_weights_as_tensor", doubleTensor("w", 0.1, 0.7)),
                tensor("base_values_as_tensor", doubleTensor("b", 1e-3)), integer("n_targets", 1));
        try (Model model = load(model(3, List.of(trees), List.of(), value("x", DOUBLE, -1, 1),
                value("y", FLOAT, -1, 1)))) {
            TreeEnsemble t = model.trees().orElseThrow(() -> new AssertionError(model.treesUnsupported()));
            assertEquals(0.1, t.threshold(0), "kept in double");
            assertEquals(InputRounding.NONE, t.rounding());
            assertArrayEquals(new double[] {0.1 + 1e-3}, t.margins(new double[] {0.1}));
            assertArrayEquals(new double[] {0.7 + 1e-3}, t.margins(new double[] {Math.nextUp(0.1)}));
            assertArrayEquals(new double[] {0.7 + 1e-3}, t.margins(new double[] {(float) 0.1}), "float(0.1) > 0.1");
            assertMatchesOnnxRuntime(model, rowsFrom(100, 1,
                    new double[] {0.1, Math.nextUp(0.1), Math.nextDown(0.1), (float) 0.1, NAN}, 5));
        }
    }

    @Test
    void aCastToFloatInFrontRoundsDoubleInputs() throws IOException {
        NodeProto cast = node("Cast", "", "cast", List.of("x"), List.of("xf"), integer("to", FLOAT));
        NodeProto trees = node("TreeEnsembleRegressor", ML, "trees", List.of("xf"), List.of("y"),
                ints("nodes_treeids", 0, 0, 0), ints("nodes_nodeids", 0, 1, 2), ints("nodes_featureids", 0, 0, 0),
                floats("nodes_values", 0.1, 0, 0), strings("nodes_modes", "BRANCH_LT", "LEAF", "LEAF"),
                ints("nodes_truenodeids", 1, 0, 0), ints("nodes_falsenodeids", 2, 0, 0),
                ints("target_treeids", 0, 0), ints("target_nodeids", 1, 2), ints("target_ids", 0, 0),
                floats("target_weights", 1, 2), integer("n_targets", 1));
        try (Model model = load(model(1, List.of(cast, trees), List.of(), value("x", DOUBLE, -1, 1),
                value("y", FLOAT, -1, 1)))) {
            TreeEnsemble t = model.trees().orElseThrow(() -> new AssertionError(model.treesUnsupported()));
            assertEquals(InputRounding.FLOAT32, t.rounding());
            // 0.1 rounds to float(0.1), which is not below float(0.1).
            assertArrayEquals(new double[] {2}, t.margins(new double[] {0.1}));
            assertMatchesOnnxRuntime(model, rowsFrom(100, 1,
                    new double[] {0.1, Math.nextDown(0.1), Math.nextDown((float) 0.1), 0.09999999, NAN}, 6));
        }
    }

    @Test
    void arithmeticAfterTheEnsembleIsTheTail() throws IOException {
        // y = exp((c − trees(x)) / 4) with c = [1, 2] per column, cast to double.
        NodeProto trees = regressor("trees", List.of("raw"),
                ints("nodes_treeids", 0, 0, 0), ints("nodes_nodeids", 0, 1, 2), ints("nodes_featureids", 0, 0, 0),
                floats("nodes_values", 0.5, 0, 0), strings("nodes_modes", "BRANCH_GT", "LEAF", "LEAF"),
                ints("nodes_truenodeids", 1, 0, 0), ints("nodes_falsenodeids", 2, 0, 0),
                ints("target_treeids", 0, 0, 0), ints("target_nodeids", 1, 2, 2), ints("target_ids", 0, 1, 0),
                floats("target_weights", 3, -1, 0.5), integer("n_targets", 2));
        List<NodeProto> nodes = List.of(trees,
                node("Sub", "", "sub", List.of("c", "raw"), List.of("d")),
                node("Div", "", "div", List.of("d", "four"), List.of("q")),
                node("Exp", "", "exp", List.of("q"), List.of("e")),
                node("Cast", "", "cast", List.of("e"), List.of("y"), integer("to", DOUBLE)));
        ModelProto m = model(1, nodes, List.of(floatTensor("c", new long[] {1, 2}, 1, 2),
                floatTensor("four", new long[] {}, 4)), value("x", FLOAT, -1, 1), value("y", DOUBLE, -1, 2));
        try (Model model = load(m)) {
            TreeEnsemble t = model.trees().orElseThrow(() -> new AssertionError(model.treesUnsupported()));
            assertEquals("[MUL[-1.0], ADD[1.0, 2.0], MUL[0.25], EXP]", t.tail().toString());
            assertArrayEquals(new double[] {Math.exp((1 - 3) / 4.0), Math.exp(2 / 4.0)},
                    t.outputs(new double[] {1}), 1e-15);
            assertMatchesOnnxRuntime(model, rowsFrom(100, 1, new double[] {0, 0.5, 1, NAN}, 7));
        }
    }

    // ---- refusals ----

    private static NodeProto stumpRegressor(String output, AttributeProto... extra) {
        List<AttributeProto> attributes = new ArrayList<>(List.of(
                ints("nodes_treeids", 0, 0, 0), ints("nodes_nodeids", 0, 1, 2), ints("nodes_featureids", 0, 0, 0),
                floats("nodes_values", 0.5, 0, 0), strings("nodes_modes", "BRANCH_LEQ", "LEAF", "LEAF"),
                ints("nodes_truenodeids", 1, 0, 0), ints("nodes_falsenodeids", 2, 0, 0),
                ints("target_treeids", 0, 0), ints("target_nodeids", 1, 2), ints("target_ids", 0, 0),
                floats("target_weights", -0.4, 0.3)));
        attributes.addAll(List.of(extra));
        if (attributes.stream().noneMatch(a -> a.getName().equals("n_targets"))) {
            attributes.add(integer("n_targets", 1));
        }
        return regressor("trees", List.of(output), attributes.toArray(AttributeProto[]::new));
    }

    /** Loads the model, checks that tree methods are refused with the reason, and that it still runs. */
    private void assertRefused(ModelProto proto, String reason) throws IOException {
        try (Model model = load(proto)) {
            assertTrue(model.trees().isEmpty());
            assertEquals("Prism cannot read the model's tree ensemble: " + reason, model.treesUnsupported().orElseThrow());
            RowBlock out = model.run(RowBatch.of(new RowBlock(1, 1, new double[] {0})));
            assertEquals(1, out.rows());
        }
    }

    @Test
    void anUnknownNodeAfterTheEnsembleIsNamed() throws IOException {
        ModelProto m = model(1, List.of(stumpRegressor("raw"), node("Abs", "", "abs", List.of("raw"), List.of("y"))),
                List.of(), value("x", FLOAT, -1, 1), value("y", FLOAT, -1, 1));
        assertRefused(m, "operator Abs (node 'abs') stands between the tree ensemble and the score output; Prism "
                + "reads Identity, Cast, Add, Sub, Mul and Div by constants, Sigmoid and Exp there");
        ModelProto twoVarying = model(1, List.of(stumpRegressor("raw"),
                        node("Mul", "", "square", List.of("raw", "raw"), List.of("y"))),
                List.of(), value("x", FLOAT, -1, 1), value("y", FLOAT, -1, 1));
        assertRefused(twoVarying, "operator Mul (node 'square') needs exactly one constant operand to follow a "
                + "tree ensemble");
    }

    @Test
    void minAndMaxAggregationAreRefused() throws IOException {
        assertRefused(model(1, List.of(stumpRegressor("y", string("aggregate_function", "MIN"))), List.of(),
                        value("x", FLOAT, -1, 1), value("y", FLOAT, -1, 1)),
                "operator ai.onnx.ml.TreeEnsembleRegressor (node 'trees') aggregates with MIN, which is not a "
                        + "sum over the trees");
        NodeProto max = node("TreeEnsemble", ML, "trees", List.of("x"), List.of("y"),
                ints("tree_roots", 0), ints("nodes_featureids", 0),
                tensor("nodes_splits", floatTensor("s", new long[] {1}, 0)),
                tensor("nodes_modes", uint8Tensor("m", 0)),
                ints("nodes_truenodeids", 0), ints("nodes_trueleafs", 1),
                ints("nodes_falsenodeids", 1), ints("nodes_falseleafs", 1),
                ints("leaf_targetids", 0, 0), tensor("leaf_weights", floatTensor("w", new long[] {2}, 1, 2)),
                integer("n_targets", 1), integer("aggregate_function", 3));
        assertRefused(model(5, List.of(max), List.of(), value("x", FLOAT, -1, 1), value("y", FLOAT, -1, 1)),
                "operator ai.onnx.ml.TreeEnsemble (node 'trees') aggregates with MAX, which is not a sum over "
                        + "the trees");
    }

    @Test
    void transformsOnnxRuntimeDoesNotApplyAreRefusedAndTheRuntimeIndeedSkipsThem() throws IOException {
        ModelProto logistic = model(1, List.of(stumpRegressor("y", string("post_transform", "LOGISTIC"))),
                List.of(), value("x", FLOAT, -1, 1), value("y", FLOAT, -1, 1));
        assertRefused(logistic, "operator ai.onnx.ml.TreeEnsembleRegressor (node 'trees') has one target and "
                + "post_transform LOGISTIC, which ONNX Runtime does not apply to one target");
        try (Model model = load(logistic)) {
            assertEquals(-0.4f, model.run(RowBatch.of(new RowBlock(1, 1, new double[] {0}))).get(0, 0),
                    "the raw score, not σ(−0.4)");
        }
        assertRefused(model(1, List.of(stumpRegressor("y", string("post_transform", "PROBIT"))), List.of(),
                        value("x", FLOAT, -1, 1), value("y", FLOAT, -1, 1)),
                "operator ai.onnx.ml.TreeEnsembleRegressor (node 'trees') has post_transform PROBIT, which Prism "
                        + "does not reproduce");

        // Opset 5, two targets, post_transform 1 (SOFTMAX in the specification): the runtime applies
        // the logistic to each column.
        NodeProto softmax = node("TreeEnsemble", ML, "trees", List.of("x"), List.of("y"),
                ints("tree_roots", 0), ints("nodes_featureids", 0),
                tensor("nodes_splits", floatTensor("s", new long[] {1}, 0)),
                tensor("nodes_modes", uint8Tensor("m", 0)),
                ints("nodes_truenodeids", 0), ints("nodes_trueleafs", 1),
                ints("nodes_falsenodeids", 1), ints("nodes_falseleafs", 1),
                ints("leaf_targetids", 0, 1), tensor("leaf_weights", floatTensor("w", new long[] {2}, -0.4, 0.3)),
                integer("n_targets", 2), integer("post_transform", 1));
        ModelProto v5 = model(5, List.of(softmax), List.of(), value("x", FLOAT, -1, 1), value("y", FLOAT, -1, 2));
        assertRefused(v5, "operator ai.onnx.ml.TreeEnsemble (node 'trees') has post_transform 1 (SOFTMAX), which "
                + "ONNX Runtime reads as LOGISTIC");
        try (Model model = load(v5)) {
            RowBlock out = model.run(RowBatch.of(new RowBlock(1, 1, new double[] {-1})));
            assertEquals(1 / (1 + Math.exp(0.4)), out.get(0, 0), 1e-6, "σ(−0.4), not a softmax");
            assertEquals(0.5, out.get(0, 1), 1e-6);
        }
    }

    private static ModelProto classifier(String transform, long[] classIds, double[] weights) {
        NodeProto trees = node("TreeEnsembleClassifier", ML, "trees", List.of("x"), List.of("label", "scores"),
                ints("nodes_treeids", 0, 0, 0), ints("nodes_nodeids", 0, 1, 2), ints("nodes_featureids", 0, 0, 0),
                floats("nodes_values", 0, 0, 0), strings("nodes_modes", "BRANCH_LEQ", "LEAF", "LEAF"),
                ints("nodes_truenodeids", 1, 0, 0), ints("nodes_falsenodeids", 2, 0, 0),
                ints("class_treeids", new long[classIds.length]), ints("class_nodeids", 1, 2, 2),
                ints("class_ids", classIds), floats("class_weights", weights),
                ints("classlabels_int64s", 0, 1), string("post_transform", transform));
        return model(1, List.of(trees), List.of(), value("x", FLOAT, -1, 1), value("label", INT64, -1),
                value("scores", FLOAT, -1, 2));
    }

    @Test
    void binaryClassifiersAreReadInTheOneColumnFormOnly() throws IOException {
        // The one-column form with mixed-sign weights: [−s, s], as ONNX Runtime lays it out.
        try (Model model = load(classifier("NONE", new long[] {0, 0, 0}, new double[] {-0.4, 0.3, 0.2}))) {
            TreeEnsemble t = model.trees().orElseThrow(() -> new AssertionError(model.treesUnsupported()));
            assertArrayEquals(new double[] {0.4, -0.4}, t.outputs(new double[] {-1}), 1e-7);
            assertArrayEquals(new double[] {-0.5, 0.5}, t.outputs(new double[] {1}), 1e-7);
            assertMatchesOnnxRuntime(model, rowsFrom(50, 1, new double[] {-1, 0, 1, NAN}, 8));
        }
        assertRefused(classifier("SOFTMAX", new long[] {0, 0, 0}, new double[] {0.2, 0.3, 0.2}),
                "operator ai.onnx.ml.TreeEnsembleClassifier (node 'trees') is a one-column binary classifier "
                        + "with post_transform SOFTMAX, which ONNX Runtime does not apply to it");
        assertRefused(classifier("NONE", new long[] {0, 0, 1}, new double[] {0.2, 0.3, 0.5}),
                "operator ai.onnx.ml.TreeEnsembleClassifier (node 'trees') is a two-class classifier voting for "
                        + "classes [0, 1]; Prism reads the one-column form (every vote for class 0), whose score "
                        + "columns ONNX Runtime computes consistently");
    }

    @Test
    void aModelWithoutTreesHasNone() throws IOException {
        ModelProto m = model(1, List.of(node("Relu", "", "relu", List.of("x"), List.of("y"))), List.of(),
                value("x", FLOAT, -1, 1), value("y", FLOAT, -1, 1));
        try (Model model = load(m)) {
            assertTrue(model.trees().isEmpty());
            assertEquals("the model is not a tree ensemble", model.treesUnsupported().orElseThrow());
        }
    }
}
