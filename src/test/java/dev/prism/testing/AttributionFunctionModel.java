package dev.prism.testing;

import dev.prism.model.AttributionGraphs;
import dev.prism.model.AttributionKind;
import dev.prism.model.Model;
import dev.prism.model.ModelSignature;
import dev.prism.model.OutputKind;
import dev.prism.model.RowBatch;
import dev.prism.tensor.DType;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.TensorSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A model given by closed-form Java functions together with attribution graphs that follow
 * {@link AttributionKind}'s row layouts exactly, in double precision: what the compiled ONNX graphs
 * compute, for tests with closed-form answers.
 */
public final class AttributionFunctionModel implements Model {

    /** A vector function of the instance with its Jacobian and DeepLIFT contributions. */
    public interface Scores {
        /** f(x), one value per score column. */
        double[] values(double[] x);

        /** ∂f_c/∂x_e as [column][element]. */
        double[][] jacobian(double[] x);

        /** DeepLIFT contributions of each element to f_c(x) − f_c(x') as [column][element]. */
        double[][] contributions(double[] x, double[] reference);
    }

    /** f = W x + c, whose DeepLIFT contributions are exact: W (x − x'). */
    public static Scores linear(double[][] w, double[] c) {
        return new Scores() {
            @Override
            public double[] values(double[] x) {
                double[] y = c.clone();
                for (int k = 0; k < w.length; k++) {
                    for (int e = 0; e < x.length; e++) {
                        y[k] += w[k][e] * x[e];
                    }
                }
                return y;
            }

            @Override
            public double[][] jacobian(double[] x) {
                double[][] j = new double[w.length][];
                for (int k = 0; k < w.length; k++) {
                    j[k] = w[k].clone();
                }
                return j;
            }

            @Override
            public double[][] contributions(double[] x, double[] reference) {
                double[][] out = new double[w.length][x.length];
                for (int k = 0; k < w.length; k++) {
                    for (int e = 0; e < x.length; e++) {
                        out[k][e] = w[k][e] * (x[e] - reference[e]);
                    }
                }
                return out;
            }
        };
    }

    private final Scores output;
    private final Scores logits;
    private final Map<AttributionKind, String> unsupported;
    private final ModelSignature signature;
    private final AtomicLong graphRows = new AtomicLong();
    private volatile boolean graphsClosed;

    /**
     * @param logits      the scores before a final Softmax, or null when the model has none
     * @param unsupported kinds the graphs refuse, with the reason
     */
    public AttributionFunctionModel(int features, int outputs, Scores output, Scores logits,
                                    Map<AttributionKind, String> unsupported) {
        this.output = output;
        this.logits = logits;
        this.unsupported = unsupported.isEmpty() ? Map.of() : new EnumMap<>(unsupported);
        this.signature = signature(features, outputs, "x", "y");
    }

    public AttributionFunctionModel(int features, int outputs, Scores output) {
        this(features, outputs, output, null, Map.of());
    }

    private static ModelSignature signature(int features, int outputs, String input, String output) {
        TensorSpec in = new TensorSpec(input, DType.FLOAT64, new long[] {-1, features});
        TensorSpec out = new TensorSpec(output, DType.FLOAT64, new long[] {-1, outputs});
        List<String> names = new ArrayList<>();
        for (int i = 0; i < features; i++) {
            names.add("x" + i);
        }
        List<String> outNames = new ArrayList<>();
        for (int i = 0; i < outputs; i++) {
            outNames.add("y" + i);
        }
        return new ModelSignature(List.of(in), List.of(out), in, List.of(out), names, outNames, OutputKind.UNSPECIFIED);
    }

    @Override
    public ModelSignature signature() {
        return signature;
    }

    @Override
    public String device() {
        return "cpu";
    }

    @Override
    public RowBlock run(RowBatch batch) {
        return apply(batch, signature.outputCount(), output::values);
    }

    /** Rows every attribution graph has evaluated so far. */
    public long graphRows() {
        return graphRows.get();
    }

    /** True once the graphs were closed (with the model). */
    public boolean graphsClosed() {
        return graphsClosed;
    }

    @Override
    public AttributionGraphs attributionGraphs() {
        return new AttributionGraphs() {
            @Override
            public Optional<String> unsupported(AttributionKind kind) {
                return Optional.ofNullable(unsupported.get(kind));
            }

            @Override
            public boolean hasLogits() {
                return logits != null;
            }

            @Override
            public Model graph(AttributionKind kind, boolean useLogits) {
                if (unsupported.containsKey(kind) || useLogits && logits == null) {
                    throw new IllegalStateException("no " + kind + " graph");
                }
                return new Graph(kind, useLogits ? logits : output);
            }

            @Override
            public void close() {
                graphsClosed = true;
            }
        };
    }

    @Override
    public void close() {
        graphsClosed = true;
    }

    private interface RowFunction {
        double[] apply(double[] row);
    }

    private static RowBlock apply(RowBatch batch, int outWidth, RowFunction f) {
        double[] out = new double[batch.rows() * outWidth];
        double[] row = new double[batch.width()];
        int at = 0;
        for (RowBatch.Segment s : batch.segments()) {
            for (int r = s.from(); r < s.from() + s.count(); r++) {
                s.source().copyRows(r, 1, row, 0);
                System.arraycopy(f.apply(row), 0, out, at * outWidth, outWidth);
                at++;
            }
        }
        return new RowBlock(batch.rows(), outWidth, out);
    }

    /** One attribution graph: rows in and out as its kind lays them out. */
    private final class Graph implements Model {
        final AttributionKind kind;
        final Scores scores;
        final ModelSignature graphSignature;

        Graph(AttributionKind kind, Scores scores) {
            this.kind = kind;
            this.scores = scores;
            int d = signature.featureCount();
            this.graphSignature = AttributionFunctionModel.signature(kind.inputWidth(d, signature.outputCount()),
                    kind.outputWidth(d), "rows", "attributions");
        }

        @Override
        public ModelSignature signature() {
            return graphSignature;
        }

        @Override
        public String device() {
            return "cpu";
        }

        @Override
        public RowBlock run(RowBatch batch) {
            graphRows.addAndGet(batch.rows());
            int d = AttributionFunctionModel.this.signature.featureCount();
            int k = AttributionFunctionModel.this.signature.outputCount();
            return apply(batch, kind.outputWidth(d), row -> kind == AttributionKind.DEEP_LIFT
                    ? deepLift(row, d, k) : gradient(row, d, k));
        }

        private double[] deepLift(double[] row, int d, int k) {
            double[] x = Arrays.copyOfRange(row, 0, d);
            double[] reference = Arrays.copyOfRange(row, d, 2 * d);
            double[][] c = scores.contributions(x, reference);
            double[] fx = scores.values(x);
            double[] fr = scores.values(reference);
            double[] out = new double[d + 2];
            for (int col = 0; col < k; col++) {
                double seed = row[2 * d + col];
                for (int e = 0; e < d; e++) {
                    out[e] += seed * c[col][e];
                }
                out[d] += seed * fx[col];
                out[d + 1] += seed * fr[col];
            }
            return out;
        }

        private double[] gradient(double[] row, int d, int k) {
            double[] x = Arrays.copyOfRange(row, 0, d);
            double[][] j = scores.jacobian(x);
            double[] f = scores.values(x);
            double[] out = new double[d + 1];
            for (int col = 0; col < k; col++) {
                double seed = row[d + col];
                for (int e = 0; e < d; e++) {
                    out[e] += seed * j[col][e];
                }
                out[d] += seed * f[col];
            }
            return out;
        }

        @Override
        public void close() {
        }
    }
}
