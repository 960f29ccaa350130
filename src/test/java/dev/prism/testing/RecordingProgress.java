package dev.prism.testing;

import dev.prism.explain.ProgressSink;
import java.util.ArrayList;
import java.util.List;

/** Keeps what an explainer reported. */
public final class RecordingProgress implements ProgressSink {
    public long total;
    public long done;
    public final List<double[]> estimates = new ArrayList<>();
    public final List<double[]> errors = new ArrayList<>();
    /** The instance of each estimate. */
    public final List<Integer> instances = new ArrayList<>();

    @Override
    public synchronized void total(long evaluations) {
        total = evaluations;
    }

    @Override
    public synchronized void advance(long evaluations) {
        done += evaluations;
    }

    @Override
    public synchronized void estimate(int instance, int output, double[] attributions, double[] standardErrors) {
        estimates.add(attributions.clone());
        errors.add(standardErrors == null ? null : standardErrors.clone());
        instances.add(instance);
    }
}
