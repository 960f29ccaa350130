package dev.prism.onnx.graph;

import static dev.prism.onnx.graph.GraphWriter.intAttr;
import static dev.prism.onnx.graph.OnnxGraph.floatAttribute;
import static dev.prism.onnx.graph.OnnxGraph.stringAttribute;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.List;
import java.util.Set;

/**
 * Elementwise nonlinear functions of one varying tensor: the Rescale rule in DEEP_LIFT mode (the
 * secant Δy/Δx, the derivative where |Δx| is below epsilon), the derivative in GRADIENT mode. Chains
 * of such nodes telescope, so composite activations written as several nodes (Gelu's erf and tanh
 * forms, SiLU) get the secant of the whole function.
 */
final class ElementwiseRule {
    static final Set<String> OPERATORS = Set.of("Relu", "LeakyRelu", "Elu", "Selu", "Sigmoid", "Tanh", "Softplus",
            "Softsign", "HardSigmoid", "Gelu", "Erf", "Exp", "Log", "Sqrt", "Reciprocal", "Abs", "Clip", "Pow", "Div");

    private ElementwiseRule() {
    }

    /** Div is linear when only its numerator varies; it is handled here when its denominator does. */
    static boolean handles(NodeProto node, Backward b) {
        String op = node.getOpType();
        if (op.equals("Div")) {
            return b.varying(node.getInput(1));
        }
        return OPERATORS.contains(op);
    }

    static void backward(NodeProto node, Backward b) {
        String in = varyingInput(node, b);
        String out = node.getOutput(0);
        String m = b.multiplier(out);
        if (m == null) {
            return;
        }
        String derivative = derivative(node, b, b.atInstance(in), b.atInstance(out));
        b.send(in, b.unbroadcast(b.rescale(m, in, out, derivative), in, out));
    }

    private static String varyingInput(NodeProto node, Backward b) {
        String op = node.getOpType();
        if (op.equals("Pow") || op.equals("Div")) {
            if (b.varying(node.getInput(0)) && b.varying(node.getInput(1))) {
                throw b.unsupported(node, "has two varying inputs");
            }
            return b.varying(node.getInput(0)) ? node.getInput(0) : node.getInput(1);
        }
        for (int i = 1; i < node.getInputCount(); i++) {
            if (!node.getInput(i).isEmpty() && b.varying(node.getInput(i))) {
                throw b.unsupported(node, "has a varying input " + i + "; only its first input may vary");
            }
        }
        return node.getInput(0);
    }

    /** f'(x) as a tensor shaped like y. */
    private static String derivative(NodeProto node, Backward b, String x, String y) {
        GraphWriter w = b.writer();
        return switch (node.getOpType()) {
            case "Relu" -> positive(w, x);
            case "LeakyRelu" -> w.op("Where", List.of(w.op("Greater", x, w.scalar(0)), w.scalar(1),
                    w.scalar(floatAttribute(node, "alpha", 0.01f))));
            case "Elu" -> w.op("Where", List.of(w.op("Greater", x, w.scalar(0)), w.scalar(1),
                    w.op("Add", y, w.scalar(floatAttribute(node, "alpha", 1f)))));
            case "Selu" -> {
                float alpha = floatAttribute(node, "alpha", 1.67326319217681884765625f);
                float gamma = floatAttribute(node, "gamma", 1.05070102214813232421875f);
                yield w.op("Where", List.of(w.op("Greater", x, w.scalar(0)), w.scalar(gamma),
                        w.op("Add", y, w.scalar(alpha * gamma))));
            }
            case "Sigmoid" -> w.op("Mul", y, w.op("Sub", w.scalar(1), y));
            case "Tanh" -> w.op("Sub", w.scalar(1), w.op("Mul", y, y));
            case "Softplus" -> w.op("Sigmoid", x);
            case "Softsign" -> {
                String d = w.op("Add", w.scalar(1), w.op("Abs", x));
                yield w.op("Reciprocal", w.op("Mul", d, d));
            }
            case "HardSigmoid" -> {
                float alpha = floatAttribute(node, "alpha", 0.2f);
                float beta = floatAttribute(node, "beta", 0.5f);
                String z = w.op("Add", w.op("Mul", x, w.scalar(alpha)), w.scalar(beta));
                String inside = w.op("And", w.op("Greater", z, w.scalar(0)), w.op("Less", z, w.scalar(1)));
                yield w.op("Mul", w.op("Cast", inside, intAttr("to", 1)), w.scalar(alpha));
            }
            case "Gelu" -> gelu(w, x, stringAttribute(node, "approximate", "none"));
            case "Erf" -> w.op("Mul", w.scalar(2 / Math.sqrt(Math.PI)), w.op("Exp", w.op("Neg", w.op("Mul", x, x))));
            case "Exp" -> y;
            case "Log" -> w.op("Reciprocal", x);
            case "Sqrt" -> w.op("Div", w.scalar(0.5), y);
            case "Reciprocal" -> w.op("Neg", w.op("Mul", y, y));
            case "Abs" -> w.op("Sign", x);
            case "Clip" -> clip(node, w, x);
            case "Pow" -> {
                if (b.varying(node.getInput(0))) {
                    String c = node.getInput(1);
                    yield w.op("Mul", w.op("Cast", c, intAttr("to", 1)),
                            w.op("Pow", x, w.op("Sub", w.op("Cast", c, intAttr("to", 1)), w.scalar(1))));
                }
                yield w.op("Mul", y, w.op("Log", node.getInput(0)));
            }
            // c / x
            case "Div" -> w.op("Neg", w.op("Div", y, x));
            default -> throw b.unsupported(node, "has no elementwise rule");
        };
    }

    private static String positive(GraphWriter w, String x) {
        return w.op("Cast", w.op("Greater", x, w.scalar(0)), intAttr("to", 1));
    }

    private static String clip(NodeProto node, GraphWriter w, String x) {
        String inside = null;
        if (node.getInputCount() > 1 && !node.getInput(1).isEmpty()) {
            inside = w.op("GreaterOrEqual", x, node.getInput(1));
        }
        if (node.getInputCount() > 2 && !node.getInput(2).isEmpty()) {
            String below = w.op("LessOrEqual", x, node.getInput(2));
            inside = inside == null ? below : w.op("And", inside, below);
        }
        return inside == null ? w.op("Add", w.op("Mul", x, w.scalar(0)), w.scalar(1))
                : w.op("Cast", inside, intAttr("to", 1));
    }

    /** d/dx of x·Φ(x), or of its tanh approximation. */
    private static String gelu(GraphWriter w, String x, String approximate) {
        if (approximate.equals("tanh")) {
            double k = Math.sqrt(2 / Math.PI);
            String x2 = w.op("Mul", x, x);
            String u = w.op("Mul", w.scalar(k), w.op("Add", x, w.op("Mul", w.scalar(0.044715), w.op("Mul", x2, x))));
            String t = w.op("Tanh", u);
            String du = w.op("Mul", w.scalar(k), w.op("Add", w.scalar(1), w.op("Mul", w.scalar(3 * 0.044715), x2)));
            String first = w.op("Mul", w.scalar(0.5), w.op("Add", w.scalar(1), t));
            String second = w.op("Mul", w.op("Mul", w.scalar(0.5), x),
                    w.op("Mul", w.op("Sub", w.scalar(1), w.op("Mul", t, t)), du));
            return w.op("Add", first, second);
        }
        String cdf = w.op("Mul", w.scalar(0.5), w.op("Add", w.scalar(1), w.op("Erf", w.op("Mul", x, w.scalar(Math.sqrt(0.5))))));
        String pdf = w.op("Mul", w.scalar(1 / Math.sqrt(2 * Math.PI)),
                w.op("Exp", w.op("Mul", w.scalar(-0.5), w.op("Mul", x, x))));
        return w.op("Add", cdf, w.op("Mul", x, pdf));
    }
}
