package dev.prism.onnx.trees;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.prism.model.ModelSignature;
import dev.prism.model.trees.InputRounding;
import dev.prism.model.trees.OutputStep;
import dev.prism.model.trees.TreeEnsemble;
import dev.prism.onnx.graph.OnnxGraph;
import dev.prism.onnx.graph.UnsupportedGraphException;
import dev.prism.tensor.TensorSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the tree ensemble that computes a model's score output, at load time, into Prism's own
 * {@link TreeEnsemble}. The graph may hold, besides the ensemble node:
 *
 * <ul>
 *   <li>in front of it, Identity and Cast to float or double (a cast to float rounds the values);</li>
 *   <li>after it, on the way to the score output, Identity, Cast to float or double, Add, Sub, Mul
 *       and Div by a constant (one value, or one per score column), Sigmoid and Exp: each becomes an
 *       {@link OutputStep} of the ensemble, so that its outputs are the score output.</li>
 * </ul>
 *
 * Anything else on those paths, or in the ensemble, is refused with an {@link UnsupportedGraphException}
 * naming the node and why. A graph without a tree-ensemble operator has no ensemble.
 */
public final class TreeEnsembleReader {
    private static final String ML_DOMAIN = "ai.onnx.ml";
    private static final Set<String> ENSEMBLES = Set.of(ClassicEnsembleParser.CLASSIFIER,
            ClassicEnsembleParser.REGRESSOR, TreeEnsembleV5Parser.OP);

    private TreeEnsembleReader() {
    }

    /**
     * The ensemble computing the signature's score output from its explained input.
     *
     * @return empty when the graph has no tree-ensemble operator
     * @throws UnsupportedGraphException naming what Prism cannot read, when it has one
     */
    public static Optional<TreeEnsemble> read(ModelProto model, ModelSignature signature) {
        if (model.getGraph().getNodeList().stream().noneMatch(TreeEnsembleReader::isEnsemble)) {
            return Optional.empty();
        }
        if (signature.scoreOutputs().size() != 1) {
            throw new UnsupportedGraphException("tree methods explain one score output; this model's are "
                    + signature.scoreOutputs().stream().map(TensorSpec::name).toList());
        }
        OnnxGraph graph = new OnnxGraph(model);
        TensorSpec output = signature.scoreOutputs().get(0);
        int columns = output.instanceSize();
        List<OutputStep> tail = new ArrayList<>();
        NodeProto ensemble = walkTail(graph, output.name(), columns, tail);
        Collections.reverse(tail);

        TensorSpec input = signature.explainedInput();
        if (ensemble.getInputCount() < 1) {
            throw UnsupportedGraphException.node(ensemble, "has no input");
        }
        EnsembleInput reaching = walkInput(graph, ensemble.getInput(0), input);
        int ensembleType = reaching.elementType();
        InputRounding rounding = reaching.rounding();
        boolean float32 = switch (ensembleType) {
            case TensorProto.DataType.FLOAT_VALUE, TensorProto.DataType.INT64_VALUE,
                 TensorProto.DataType.INT32_VALUE -> true;
            case TensorProto.DataType.DOUBLE_VALUE -> false;
            default -> throw UnsupportedGraphException.node(ensemble, "takes an input of element type "
                    + TensorProto.DataType.forNumber(ensembleType) + "; Prism reads float, double and integer inputs");
        };
        Attributes attributes = new Attributes(ensemble);
        int features = input.instanceSize();
        TreeEnsemble trees;
        try {
            TreeEnsemble.Builder builder = ensemble.getOpType().equals(TreeEnsembleV5Parser.OP)
                    ? TreeEnsembleV5Parser.parse(attributes, features, rounding, float32)
                    : ClassicEnsembleParser.parse(attributes, features, rounding, float32);
            tail.forEach(builder::step);
            trees = builder.build();
        } catch (IllegalArgumentException e) {
            // The builder's checks: a missing or self child, a cycle, a vote on an interior node.
            throw UnsupportedGraphException.node(ensemble, "does not form trees Prism can read: " + e.getMessage());
        }
        if (trees.outputCount() != columns) {
            throw UnsupportedGraphException.node(ensemble, "gives " + trees.outputCount()
                    + " score columns; the score output '" + output.name() + "' has " + columns);
        }
        return Optional.of(trees);
    }

    private static boolean isEnsemble(NodeProto n) {
        return n.getDomain().equals(ML_DOMAIN) && ENSEMBLES.contains(n.getOpType());
    }

    /**
     * Walks from the score output back to the ensemble, collecting the element-wise steps (last
     * first).
     */
    private static NodeProto walkTail(OnnxGraph graph, String tensor, int columns, List<OutputStep> steps) {
        Set<NodeProto> seen = new HashSet<>();
        String current = tensor;
        while (true) {
            NodeProto n = graph.producer(current);
            if (n == null) {
                throw new UnsupportedGraphException("the score output is not computed by a tree ensemble: '"
                        + current + "' is a graph input or constant");
            }
            if (!seen.add(n)) {
                throw UnsupportedGraphException.node(n, "is part of a cycle");
            }
            if (isEnsemble(n)) {
                int at = n.getOutputList().indexOf(current);
                if (n.getOpType().equals(ClassicEnsembleParser.CLASSIFIER) && at != 1) {
                    throw UnsupportedGraphException.node(n, "gives the score output through its labels, not its scores");
                }
                return n;
            }
            if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
                throw UnsupportedGraphException.node(n, "stands between the tree ensemble and the score output");
            }
            current = switch (n.getOpType()) {
                case "Identity" -> onlyInput(n);
                case "Cast" -> {
                    requireFloatingCast(n);
                    yield onlyInput(n);
                }
                case "Sigmoid" -> {
                    steps.add(OutputStep.sigmoid());
                    yield onlyInput(n);
                }
                case "Exp" -> {
                    steps.add(OutputStep.exp());
                    yield onlyInput(n);
                }
                case "Add", "Sub", "Mul", "Div" -> arithmetic(graph, n, columns, steps);
                default -> throw UnsupportedGraphException.node(n, "stands between the tree ensemble and the "
                        + "score output; Prism reads Identity, Cast, Add, Sub, Mul and Div by constants, Sigmoid "
                        + "and Exp there");
            };
        }
    }

    private static String onlyInput(NodeProto n) {
        if (n.getInputCount() < 1 || n.getInput(0).isEmpty()) {
            throw UnsupportedGraphException.node(n, "has no input");
        }
        return n.getInput(0);
    }

    private static void requireFloatingCast(NodeProto n) {
        long to = OnnxGraph.intAttribute(n, "to", -1);
        if (to != TensorProto.DataType.FLOAT_VALUE && to != TensorProto.DataType.DOUBLE_VALUE) {
            throw UnsupportedGraphException.node(n, "casts to " + TensorProto.DataType.forNumber((int) to)
                    + "; Prism reads casts to float and double around a tree ensemble");
        }
    }

    /** An Add, Sub, Mul or Div with one constant operand as a step; returns the other operand. */
    private static String arithmetic(OnnxGraph graph, NodeProto n, int columns, List<OutputStep> steps) {
        if (n.getInputCount() != 2) {
            throw UnsupportedGraphException.node(n, "has " + n.getInputCount() + " inputs");
        }
        TensorProto left = graph.constant(n.getInput(0));
        TensorProto right = graph.constant(n.getInput(1));
        if ((left == null) == (right == null)) {
            throw UnsupportedGraphException.node(n, "needs exactly one constant operand to follow a tree ensemble");
        }
        boolean constantFirst = left != null;
        TensorProto constant = constantFirst ? left : right;
        double[] c = new Attributes(n).values(constant, "a constant");
        long[] dims = constant.getDimsList().stream().mapToLong(Long::longValue).toArray();
        boolean perColumn = c.length == columns && dims.length >= 1 && dims[dims.length - 1] == columns
                && Arrays.stream(dims, 0, dims.length - 1).allMatch(d -> d == 1);
        if (c.length != 1 && !perColumn || dims.length > 2) {
            throw UnsupportedGraphException.node(n, "has a constant of shape " + Arrays.toString(dims)
                    + "; Prism reads one value, or one per score column (" + columns + ")");
        }
        switch (n.getOpType()) {
            case "Add" -> steps.add(OutputStep.add(c));
            case "Mul" -> steps.add(OutputStep.mul(c));
            case "Sub" -> {
                if (constantFirst) {
                    // c − x: negate, then add c (steps are collected last first).
                    steps.add(OutputStep.add(c));
                    steps.add(OutputStep.mul(-1));
                } else {
                    steps.add(OutputStep.add(Arrays.stream(c).map(v -> -v).toArray()));
                }
            }
            case "Div" -> {
                if (constantFirst) {
                    throw UnsupportedGraphException.node(n, "divides a constant by the scores");
                }
                steps.add(OutputStep.mul(Arrays.stream(c).map(v -> 1 / v).toArray()));
            }
            default -> throw new IllegalStateException(n.getOpType());
        }
        return n.getInput(constantFirst ? 1 : 0);
    }

    /**
     * What reaches the ensemble: how the explained input's values are rounded on the way, and the
     * element type the ensemble compares in (the last cast's, or the input's).
     */
    private record EnsembleInput(InputRounding rounding, int elementType) {}

    /** Walks from the ensemble's input back to the explained input through Identity and Cast nodes. */
    private static EnsembleInput walkInput(OnnxGraph graph, String tensor, TensorSpec input) {
        InputRounding rounding = switch (input.dtype()) {
            case FLOAT64 -> InputRounding.NONE;
            case FLOAT32 -> InputRounding.FLOAT32;
            case INT32, INT64 -> InputRounding.TRUNCATE;
        };
        int elementType = switch (input.dtype()) {
            case FLOAT32 -> TensorProto.DataType.FLOAT_VALUE;
            case FLOAT64 -> TensorProto.DataType.DOUBLE_VALUE;
            case INT32 -> TensorProto.DataType.INT32_VALUE;
            case INT64 -> TensorProto.DataType.INT64_VALUE;
        };
        List<NodeProto> casts = new ArrayList<>();
        Set<NodeProto> seen = new HashSet<>();
        String current = tensor;
        while (!current.equals(input.name())) {
            NodeProto n = graph.producer(current);
            if (n == null) {
                throw new UnsupportedGraphException("the tree ensemble reads '" + current
                        + "', which is not computed from the input '" + input.name() + "'");
            }
            if (!seen.add(n)) {
                throw UnsupportedGraphException.node(n, "is part of a cycle");
            }
            if (n.getOpType().equals("Cast") && n.getDomain().isEmpty()) {
                requireFloatingCast(n);
                casts.add(n);
            } else if (!(n.getOpType().equals("Identity") && n.getDomain().isEmpty())) {
                throw UnsupportedGraphException.node(n, "stands between the input and the tree ensemble; Prism "
                        + "reads Identity and Cast there");
            }
            current = onlyInput(n);
        }
        // Casts were met last first: apply them in graph order.
        for (int i = casts.size() - 1; i >= 0; i--) {
            elementType = (int) OnnxGraph.intAttribute(casts.get(i), "to", -1);
            if (elementType == TensorProto.DataType.FLOAT_VALUE) {
                rounding = rounding.thenFloat32();
            }
        }
        return new EnsembleInput(rounding, elementType);
    }
}
