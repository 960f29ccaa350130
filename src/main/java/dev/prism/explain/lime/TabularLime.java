package dev.prism.explain.lime;

import dev.prism.explain.Diagnostics;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explanation;
import dev.prism.explain.ProgressSink;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.NeededOutputs;
import dev.prism.runner.RequestContext;
import dev.prism.tensor.RowBlock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * Tabular LIME for one request: each instance's neighbourhood (sampled by {@link TabularSampler},
 * or given) goes through the runner in chunks, with a bounded number of rows in flight and
 * several instances at once so that global requests fill the scheduler's batches; each instance
 * keeps its interpretable rows, kernel weights and labels until its last chunk returns, then fits
 * one surrogate per requested output. Samples are drawn in row order from the instance's own
 * random stream, so results depend neither on chunking nor on the scheduler's batch size.
 */
final class TabularLime {
    /** Model rows per chunk at most. */
    static final int CHUNK_ROWS = 16_384;
    /** Model input values per chunk at most, so wide rows make shorter chunks. */
    static final int CHUNK_VALUES = 1 << 20;
    /** Chunks' worth of rows in flight per request. */
    static final int CHUNKS_IN_FLIGHT = 4;
    static final int MAX_ACTIVE_INSTANCES = 64;
    /** Values (in doubles) the active instances' neighbourhoods may hold together; one is always let in. */
    static final long MAX_ACTIVE_FOOTPRINT = 1L << 23;

    private final ExplainInput input;
    private final LimeParams params;
    private final BatchRunner runner;
    private final ProgressSink progress;
    private final RequestContext context;
    private final TabularSampler sampler;
    private final int width;
    private final int samples;
    private final double kernelWidth;
    private final long footprint;

    TabularLime(ExplainInput input, LimeParams params, BatchRunner runner, ProgressSink progress,
                RequestContext context) {
        this.input = input;
        this.params = params;
        this.runner = runner;
        this.progress = progress;
        this.context = context;
        this.sampler = TabularSampler.fit(input.background().rows(), params.categoricalFeatures(),
                params.discretizer());
        this.width = input.instances().width();
        this.samples = params.samples(false);
        this.kernelWidth = params.kernelWidth(false, width);
        this.footprint = InterpretableRows.footprint(width, samples, sampler.binary())
                + (long) samples * (input.outputCount() + 1);
    }

    List<Explanation> run() {
        int n = input.instances().rows();
        progress.total((long) n * samples);
        RowBlock fx = runner.evaluate(input.instances(),
                NeededOutputs.scoreColumns(input.outputs(), row -> "instance " + row + " itself"));
        progress.advance(n);
        context.throwIfCancelled();

        Explanation[][] results = new Explanation[n][];
        ArrayDeque<Chunk> inFlight = new ArrayDeque<>();
        List<Neighbourhood> active = new ArrayList<>();
        int chunkRows = Math.max(1, Math.min(CHUNK_ROWS, CHUNK_VALUES / Math.max(1, width)));
        long maxRowsInFlight = (long) CHUNKS_IN_FLIGHT * chunkRows;
        long rowsInFlight = 0;
        int next = 0;
        while (true) {
            while (rowsInFlight < maxRowsInFlight) {
                Neighbourhood drawing = active.stream().filter(Neighbourhood::drawing).findFirst().orElse(null);
                if (drawing != null) {
                    Chunk chunk = drawing.nextChunk(chunkRows);
                    inFlight.add(chunk);
                    rowsInFlight += chunk.rows;
                    continue;
                }
                boolean room = active.isEmpty() || (active.size() < MAX_ACTIVE_INSTANCES
                        && (active.size() + 1) * footprint <= MAX_ACTIVE_FOOTPRINT);
                if (next < n && room) {
                    active.add(new Neighbourhood(next, fx.row(next)));
                    next++;
                    continue;
                }
                break;
            }
            if (inFlight.isEmpty()) {
                break;
            }
            Chunk chunk = inFlight.poll();
            RowBlock out = BatchRunner.await(chunk.future, NeededOutputs.scoreColumns(input.outputs(),
                    row -> "instance " + chunk.owner.index + ", neighbourhood sample " + (chunk.first + row)
                            + " of " + samples));
            context.throwIfCancelled();
            rowsInFlight -= chunk.rows;
            progress.advance(out.rows());
            chunk.owner.absorb(out);
            if (chunk.owner.complete()) {
                results[chunk.owner.index] = chunk.owner.explain();
                active.remove(chunk.owner);
            }
        }
        List<Explanation> all = new ArrayList<>();
        for (Explanation[] perInstance : results) {
            all.addAll(Arrays.asList(perInstance));
        }
        return all;
    }

    /** Samples [first, first + rows) of one neighbourhood. */
    private record Chunk(Neighbourhood owner, int first, int rows, CompletableFuture<RowBlock> future) {}

    /** One instance's neighbourhood: rows drawn, then their labels as chunks come back. */
    private final class Neighbourhood {
        final int index;
        final long started = System.nanoTime();
        final double[] labels0;
        final TabularSampler.Instance around;
        final SplittableRandom rng;
        final InterpretableRows rows;
        final double[] row0;
        final KernelWeights weights = new KernelWeights(samples, kernelWidth);
        final double[] labels;
        int drawn;
        int absorbed;

        Neighbourhood(int index, double[] scores) {
            this.index = index;
            double[] x = input.instances().row(index);
            int targets = input.outputCount();
            this.labels0 = new double[targets];
            for (int k = 0; k < targets; k++) {
                labels0[k] = input.link().apply(scores[input.output(k)]);
            }
            this.around = sampler.at(x, params.sampleAroundInstance());
            this.rng = LimeExplainer.random(input.seed(), index);
            this.rows = sampler.binary() ? InterpretableRows.binary(width, samples)
                    : InterpretableRows.dense(width, samples);
            LimeParams.Neighbourhood given = params.neighbourhood();
            double[] data0 = given != null ? given.data().row(0)
                    : TabularSampler.dataRow0(x, params.categoricalFeatures(), params.discretizer());
            this.row0 = sampler.scale(data0);
            this.labels = new double[samples * targets];
            rows.add(row0);
            weights.set(0, 0);
            System.arraycopy(labels0, 0, labels, 0, targets);
            drawn = 1;
            absorbed = 1;
        }

        boolean drawing() {
            return drawn < samples;
        }

        boolean complete() {
            return absorbed == samples;
        }

        Chunk nextChunk(int maxRows) {
            int first = drawn;
            int count = Math.min(maxRows, samples - drawn);
            double[] inputs = new double[count * width];
            double[] interpretable = new double[width];
            double[] sample = new double[width];
            LimeParams.Neighbourhood given = params.neighbourhood();
            for (int r = 0; r < count; r++, drawn++) {
                if (given != null) {
                    interpretable = sampler.scale(given.data().row(drawn));
                    sample = given.inputs().row(drawn);
                } else {
                    around.sample(rng, interpretable, sample);
                }
                rows.add(interpretable);
                weights.set(drawn, distance(interpretable, row0));
                System.arraycopy(sample, 0, inputs, r * width, width);
            }
            return new Chunk(this, first, count, runner.submit(new RowBlock(count, width, inputs)));
        }

        void absorb(RowBlock out) {
            int targets = input.outputCount();
            for (int r = 0; r < out.rows(); r++, absorbed++) {
                for (int k = 0; k < targets; k++) {
                    labels[absorbed * targets + k] = input.link().apply(out.get(r, input.output(k)));
                }
            }
        }

        Explanation[] explain() {
            LimeSurrogate surrogate = new LimeSurrogate(rows, weights.values(), labels, input.outputCount());
            Explanation[] out = new Explanation[input.outputCount()];
            double elapsed = (System.nanoTime() - started) / 1e9;
            for (int k = 0; k < out.length; k++) {
                LimeSurrogate.Fit fit = surrogate.fit(k, params.features(), params.featureSelection(),
                        context::throwIfCancelled);
                out[k] = new Explanation(index, input.output(k), fit.intercept(), labels0[k], fit.coefficients(), null,
                        new Diagnostics(samples, samples, false, width, elapsed, false,
                                new Diagnostics.SurrogateFit(fit.intercept(), fit.score(), fit.localPrediction())));
            }
            return out;
        }
    }

    /** Euclidean distance, as lime measures samples from the instance. */
    private static double distance(double[] a, double[] b) {
        double sum = 0;
        for (int j = 0; j < a.length; j++) {
            double d = a[j] - b[j];
            sum += d * d;
        }
        return Math.sqrt(sum);
    }
}
