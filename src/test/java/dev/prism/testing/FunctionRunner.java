package dev.prism.testing;

import dev.prism.runner.BatchRunner;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.RowSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A runner that evaluates a Java function at once, on the submitting thread, and keeps what it was
 * given: so a test knows exactly which rows went out before and after something happened.
 */
public final class FunctionRunner implements BatchRunner {
    private final int inputWidth;
    private final int outputWidth;
    private final Function<double[], double[]> f;
    private final List<Integer> submits = new ArrayList<>();
    private final Map<Integer, Runnable> afterSubmit = new HashMap<>();

    public FunctionRunner(int inputWidth, int outputWidth, Function<double[], double[]> f) {
        this.inputWidth = inputWidth;
        this.outputWidth = outputWidth;
        this.f = f;
    }

    /** Runs the action once the {@code n}-th submitted block (from 1) has been evaluated. */
    public FunctionRunner afterSubmit(int n, Runnable action) {
        afterSubmit.put(n, action);
        return this;
    }

    /** Rows of each submitted block, in order. */
    public List<Integer> submits() {
        return new ArrayList<>(submits);
    }

    @Override
    public int inputWidth() {
        return inputWidth;
    }

    @Override
    public int outputWidth() {
        return outputWidth;
    }

    @Override
    public CompletableFuture<RowBlock> submit(RowSource rows) {
        double[] out = new double[rows.rows() * outputWidth];
        double[] x = new double[inputWidth];
        for (int r = 0; r < rows.rows(); r++) {
            rows.copyRows(r, 1, x, 0);
            System.arraycopy(f.apply(x.clone()), 0, out, r * outputWidth, outputWidth);
        }
        submits.add(rows.rows());
        Runnable action = afterSubmit.remove(submits.size());
        if (action != null) {
            action.run();
        }
        return CompletableFuture.completedFuture(new RowBlock(rows.rows(), outputWidth, out));
    }
}
