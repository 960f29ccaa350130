package dev.prism.testing;

import dev.prism.model.Model;
import dev.prism.model.ModelSignature;
import dev.prism.model.OutputKind;
import dev.prism.model.RowBatch;
import dev.prism.tensor.DType;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** A model computed in double precision by a Java function, for tests with closed-form answers. */
public final class FunctionModel implements Model {
    private final ModelSignature signature;
    private final Function<double[], double[]> f;
    private final List<Integer> batchSizes = new ArrayList<>();

    public FunctionModel(int features, int outputs, Function<double[], double[]> f) {
        TensorSpec in = new TensorSpec("x", DType.FLOAT64, new long[] {-1, features});
        TensorSpec out = new TensorSpec("y", DType.FLOAT64, new long[] {-1, outputs});
        List<String> names = new ArrayList<>();
        for (int i = 0; i < features; i++) {
            names.add("x" + i);
        }
        List<String> outNames = new ArrayList<>();
        for (int i = 0; i < outputs; i++) {
            outNames.add("y" + i);
        }
        this.signature = new ModelSignature(List.of(in), List.of(out), in, List.of(out), names, outNames,
                OutputKind.UNSPECIFIED);
        this.f = f;
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
    public synchronized RowBlock run(RowBatch batch) {
        batchSizes.add(batch.rows());
        int w = signature.outputCount();
        double[] out = new double[batch.rows() * w];
        int row = 0;
        int width = batch.width();
        for (RowBatch.Segment s : batch.segments()) {
            for (int r = s.from(); r < s.from() + s.count(); r++) {
                double[] x = new double[width];
                s.source().copyRows(r, 1, x, 0);
                double[] y = f.apply(x);
                System.arraycopy(y, 0, out, row * w, w);
                row++;
            }
        }
        return new RowBlock(batch.rows(), w, out);
    }

    /** Rows of every run so far, in order. */
    public synchronized List<Integer> batchSizes() {
        return new ArrayList<>(batchSizes);
    }

    @Override
    public void close() {}
}
