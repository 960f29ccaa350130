package dev.prism.explain.shap;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.Diagnostics;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explainer;
import dev.prism.explain.Explanation;
import dev.prism.explain.Link;
import dev.prism.explain.ProgressSink;
import dev.prism.explain.TabularMasker;
import dev.prism.linalg.ConstrainedLeastSquares;
import dev.prism.model.Background;
import dev.prism.model.BatchRunner;
import dev.prism.model.RequestContext;
import dev.prism.tensor.RowBlock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * KernelSHAP with shap's KernelExplainer semantics (see {@link CoalitionDesign}): interventional
 * masking over the weighted background, the efficiency constraint enforced exactly, features equal
 * to every background row left out. Instances stream through the runner as fixed-size chunks of
 * coalition rows, a few in flight at once, so the scheduler always has rows to batch; the chunk
 * size does not depend on the scheduler's batch size, and results do not either.
 */
public final class KernelShapExplainer implements Explainer<KernelShapParams> {
    /** Model rows per submitted chunk (at least one coalition). */
    static final int CHUNK_ROWS = 16_384;
    /** Chunks in flight per request. */
    static final int IN_FLIGHT = 4;

    @Override
    public void validate(ExplainInput input, KernelShapParams params) {
        long n = params.nsamples();
        if (n != 0 && (n < 2 || n > KernelShapParams.MAX_NSAMPLES)) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "kernel_shap.nsamples",
                    "must be 0 (auto) or in [2, " + KernelShapParams.MAX_NSAMPLES + "], got " + n);
        }
    }

    @Override
    public long evaluationsNeeded(ExplainInput input, KernelShapParams params) {
        return upperBound(input, params);
    }

    /** Model rows if every feature varies: the instances, the background and every coalition's rows. */
    private static long upperBound(ExplainInput input, KernelShapParams params) {
        long perInstance = params.effectiveSamples(input.featureCount()) * input.background().size() + 1;
        return input.instances().rows() * perInstance + input.background().size();
    }

    @Override
    public List<Explanation> explain(ExplainInput input, KernelShapParams params, BatchRunner runner,
                                     ProgressSink progress, RequestContext context) {
        return new Run(input, params, runner, progress, context).execute();
    }

    /** The state of one request. */
    private static final class Run {
        final ExplainInput input;
        final KernelShapParams params;
        final BatchRunner runner;
        final ProgressSink progress;
        final RequestContext context;
        final Background background;
        final int instances;
        final int width;
        long total;
        double[] fx;
        double[] fnull;
        final Explanation[][] results;

        Run(ExplainInput input, KernelShapParams params, BatchRunner runner, ProgressSink progress,
            RequestContext context) {
            this.input = input;
            this.params = params;
            this.runner = runner;
            this.progress = progress;
            this.context = context;
            this.background = input.background();
            this.instances = input.instances().rows();
            this.width = runner.outputWidth();
            this.results = new Explanation[instances][];
        }

        List<Explanation> execute() {
            total = upperBound(input, params);
            progress.total(total);
            evaluateInstancesAndBackground();

            ArrayDeque<Chunk> inFlight = new ArrayDeque<>();
            Instance current = null;
            int next = 0;
            while (true) {
                while (inFlight.size() < IN_FLIGHT) {
                    while ((current == null || current.exhausted()) && next < instances) {
                        current = start(next++);
                    }
                    if (current == null || current.exhausted()) {
                        break;
                    }
                    inFlight.add(current.nextChunk());
                }
                if (inFlight.isEmpty()) {
                    break;
                }
                Chunk chunk = inFlight.poll();
                RowBlock out = BatchRunner.await(chunk.future);
                context.throwIfCancelled();
                progress.advance(out.rows());
                chunk.instance.absorb(chunk, out);
            }
            List<Explanation> all = new ArrayList<>();
            for (Explanation[] perInstance : results) {
                all.addAll(Arrays.asList(perInstance));
            }
            return all;
        }

        private void evaluateInstancesAndBackground() {
            RowBlock x = input.instances();
            RowBlock bg = background.rows();
            double[] rows = new double[(x.rows() + bg.rows()) * x.width()];
            System.arraycopy(x.data(), 0, rows, 0, x.data().length);
            System.arraycopy(bg.data(), 0, rows, x.data().length, bg.data().length);
            RowBlock out = runner.evaluate(new RowBlock(x.rows() + bg.rows(), x.width(), rows));
            progress.advance(out.rows());
            fx = Arrays.copyOf(out.data(), instances * width);
            fnull = new double[width];
            for (int k = 0; k < bg.rows(); k++) {
                double w = background.weight(k);
                for (int c = 0; c < width; c++) {
                    fnull[c] += w * out.get(instances + k, c);
                }
            }
        }

        /** Prepares instance i; finishes it at once when fewer than two features vary. */
        private Instance start(int i) {
            long started = System.nanoTime();
            double[] x = input.instances().row(i);
            int[] varying = varyingFeatures(x, background.rows());
            int m = varying.length;
            long estimated = params.effectiveSamples(input.featureCount()) * background.size();
            if (m < 2) {
                revise(-estimated);
                results[i] = trivial(i, varying, started);
                return null;
            }
            CoalitionDesign design = CoalitionDesign.build(m, params.effectiveSamples(m),
                    new SplittableRandom(input.seed() * 0x9E3779B97F4A7C15L + i));
            revise((long) design.masks.size() * background.size() - estimated);
            return new Instance(i, x, varying, design, started);
        }

        private void revise(long delta) {
            if (delta != 0) {
                total += delta;
                progress.total(total);
            }
        }

        private double linkOf(double value) {
            return input.link().apply(value);
        }

        private double baseValue(int k) {
            return linkOf(fnull[input.output(k)]);
        }

        private double modelOutput(int i, int k) {
            return linkOf(fx[i * width + input.output(k)]);
        }

        private Explanation[] trivial(int i, int[] varying, long started) {
            Explanation[] out = new Explanation[input.outputCount()];
            double seconds = (System.nanoTime() - started) / 1e9;
            for (int k = 0; k < out.length; k++) {
                double[] phi = new double[input.featureCount()];
                if (varying.length == 1) {
                    phi[varying[0]] = modelOutput(i, k) - baseValue(k);
                }
                out[k] = new Explanation(i, input.output(k), baseValue(k), modelOutput(i, k), phi, null,
                        new Diagnostics(1, 0, true, varying.length, seconds));
            }
            return out;
        }

        /** Rows [from, to) of one instance's masks, on their way through the model. */
        private record Chunk(Instance instance, int from, int to, CompletableFuture<RowBlock> future) {}

        /** One instance's coalitions, their evaluated values and the regressions they feed. */
        private final class Instance {
            final int index;
            final int[] varying;
            final CoalitionDesign design;
            final TabularMasker masker;
            final long started;
            final int coalitionsPerChunk;
            final ConstrainedLeastSquares enumeratedPart;
            final ConstrainedLeastSquares[] groupParts;
            int submitted;
            int done;
            int groupsDone;

            Instance(int index, double[] x, int[] varying, CoalitionDesign design, long started) {
                this.index = index;
                this.varying = varying;
                this.design = design;
                this.masker = new TabularMasker(x, background, varying);
                this.started = started;
                this.coalitionsPerChunk = Math.max(1, CHUNK_ROWS / background.size());
                double[] totals = new double[input.outputCount()];
                for (int k = 0; k < totals.length; k++) {
                    totals[k] = modelOutput(index, k) - baseValue(k);
                }
                this.enumeratedPart = new ConstrainedLeastSquares(varying.length, totals);
                this.groupParts = new ConstrainedLeastSquares[design.groups];
                for (int g = 0; g < design.groups; g++) {
                    groupParts[g] = enumeratedPart.emptyCopy();
                }
            }

            boolean exhausted() {
                return submitted == design.masks.size();
            }

            Chunk nextChunk() {
                int from = submitted;
                int to = Math.min(design.masks.size(), from + coalitionsPerChunk);
                submitted = to;
                return new Chunk(this, from, to, runner.submit(masker.rows(design.masks, from, to)));
            }

            void absorb(Chunk chunk, RowBlock out) {
                int n = background.size();
                double[] y = new double[input.outputCount()];
                for (int j = chunk.from; j < chunk.to; j++) {
                    int base = (j - chunk.from) * n;
                    for (int k = 0; k < y.length; k++) {
                        int column = input.output(k);
                        double ey = 0;
                        for (int b = 0; b < n; b++) {
                            ey += background.weight(b) * out.get(base + b, column);
                        }
                        y[k] = linkOf(ey) - baseValue(k);
                    }
                    boolean[] z = design.masks.get(j);
                    if (j < design.enumerated) {
                        enumeratedPart.add(z, design.enumeratedWeights.get(j), y);
                    } else {
                        int[] groups = design.drawGroups.get(j);
                        double[] counts = design.drawCounts.get(j);
                        for (int t = 0; t < groups.length; t++) {
                            if (groups[t] < groupParts.length) {
                                groupParts[groups[t]].add(z, counts[t], y);
                            }
                        }
                    }
                }
                done = chunk.to;
                reportRunningEstimate();
                if (done == design.masks.size()) {
                    finish();
                }
            }

            /** After each further completed draw group (two at least), the estimate so far. */
            private void reportRunningEstimate() {
                int before = groupsDone;
                while (groupsDone < design.groups && done >= design.groupEnd[groupsDone]) {
                    groupsDone++;
                }
                if (groupsDone == before || groupsDone < 2 || done == design.masks.size()
                        || !progress.wantsEstimates()) {
                    return;
                }
                Estimate e = estimate(groupsDone);
                for (int k = 0; k < input.outputCount(); k++) {
                    progress.estimate(index, input.output(k), e.phi[k], e.se[k]);
                }
            }

            private void finish() {
                double seconds = (System.nanoTime() - started) / 1e9;
                Estimate e = design.complete || design.groups < 2
                        ? new Estimate(expand(combine(design.groups).solve()), null)
                        : estimate(design.groups);
                Explanation[] out = new Explanation[input.outputCount()];
                long evaluations = (long) design.masks.size() * background.size() + 1;
                for (int k = 0; k < out.length; k++) {
                    out[k] = new Explanation(index, input.output(k), baseValue(k), modelOutput(index, k),
                            e.phi[k], e.se == null ? null : e.se[k],
                            new Diagnostics(evaluations, design.masks.size(), design.complete,
                                    varying.length, seconds));
                }
                results[index] = out;
            }

            /** The estimate from the first g groups, with standard errors from their spread. */
            private Estimate estimate(int g) {
                double[][] phi = expand(combine(g).solve());
                double[][][] sub = new double[g][][];
                for (int h = 0; h < g; h++) {
                    ConstrainedLeastSquares part = enumeratedPart.emptyCopy();
                    part.addScaled(enumeratedPart, 1);
                    part.addScaled(groupParts[h], design.sampledMass / design.groupCounts[h]);
                    sub[h] = part.solve();
                }
                double[][] se = new double[phi.length][input.featureCount()];
                for (int k = 0; k < phi.length; k++) {
                    for (int i = 0; i < varying.length; i++) {
                        double mean = 0;
                        for (int h = 0; h < g; h++) {
                            mean += sub[h][k][i];
                        }
                        mean /= g;
                        double ss = 0;
                        for (int h = 0; h < g; h++) {
                            double d = sub[h][k][i] - mean;
                            ss += d * d;
                        }
                        se[k][varying[i]] = Math.sqrt(ss / (g - 1) / g);
                    }
                }
                return new Estimate(phi, se);
            }

            /** The enumerated part plus the first g groups, the draws rescaled to the sampled mass. */
            private ConstrainedLeastSquares combine(int g) {
                ConstrainedLeastSquares all = enumeratedPart.emptyCopy();
                all.addScaled(enumeratedPart, 1);
                double counts = 0;
                for (int h = 0; h < g; h++) {
                    counts += design.groupCounts[h];
                }
                for (int h = 0; h < g; h++) {
                    all.addScaled(groupParts[h], design.sampledMass / counts);
                }
                return all;
            }

            /** Attributions over the varying features, spread over all features (zeros elsewhere). */
            private double[][] expand(double[][] phi) {
                double[][] full = new double[phi.length][input.featureCount()];
                for (int k = 0; k < phi.length; k++) {
                    for (int i = 0; i < varying.length; i++) {
                        full[k][varying[i]] = phi[k][i];
                    }
                }
                return full;
            }
        }

        private record Estimate(double[][] phi, double[][] se) {}
    }

    /** Columns where x differs from some background row (numpy's allclose tolerances, as shap). */
    static int[] varyingFeatures(double[] x, RowBlock background) {
        List<Integer> varying = new ArrayList<>();
        for (int c = 0; c < x.length; c++) {
            for (int k = 0; k < background.rows(); k++) {
                double b = background.get(k, c);
                if (Math.abs(x[c] - b) > 1e-8 + 1e-5 * Math.abs(b)) {
                    varying.add(c);
                    break;
                }
            }
        }
        return varying.stream().mapToInt(Integer::intValue).toArray();
    }
}
