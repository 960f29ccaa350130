package dev.prism.explain.lime;

import dev.prism.explain.Diagnostics;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explanation;
import dev.prism.explain.ProgressSink;
import dev.prism.explain.RowStream;
import dev.prism.explain.TimeBudget;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.NeededOutputs;
import dev.prism.runner.RequestContext;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.RowSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Tabular LIME for one request: each instance's neighbourhood (sampled by {@link TabularSampler},
 * or given) goes through a {@link RowStream} in chunks, several instances at once so that global
 * requests fill the scheduler's batches; each instance keeps its interpretable rows, kernel weights
 * and labels until its last chunk returns, then fits one surrogate per requested output. Samples
 * are drawn in row order from the instance's own random stream, so results depend neither on
 * chunking nor on the scheduler's batch size.
 *
 * <p>Under a time budget the running instances draw in turns, in shorter chunks, so that each has
 * part of its neighbourhood early; when the budget runs out, each fits its surrogate on the samples
 * evaluated so far: exactly the answer of a request for that many samples.
 */
final class TabularLime {
    /** Model rows per chunk at most. */
    static final int CHUNK_ROWS = 16_384;
    /** Model input values per chunk at most, so wide rows make shorter chunks. */
    static final int CHUNK_VALUES = 1 << 20;
    /** Under a time budget: model rows per chunk at most, the steps in which answers can grow. */
    static final int TIMED_CHUNK_ROWS = 1024;
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
    private final TimeBudget budget;
    private final TabularSampler sampler;
    private final int width;
    private final int samples;
    private final double kernelWidth;
    private final long footprint;

    TabularLime(ExplainInput input, LimeParams params, BatchRunner runner, ProgressSink progress,
                RequestContext context, TimeBudget budget) {
        this.input = input;
        this.params = params;
        this.runner = runner;
        this.progress = progress;
        this.context = context;
        this.budget = budget;
        this.sampler = TabularSampler.fit(input.background().rows(), params.categoricalFeatures(),
                params.discretizer());
        this.width = input.instances().width();
        this.samples = params.samples(false);
        this.kernelWidth = params.kernelWidth(false, width);
        this.footprint = InterpretableRows.footprint(width, samples, sampler.binary())
                + (long) samples * (input.outputCount() + 1);
    }

    /** Model rows per chunk for rows of this width, without a time budget. */
    static int chunkRows(int width) {
        return Math.max(1, Math.min(CHUNK_ROWS, CHUNK_VALUES / Math.max(1, width)));
    }

    /** Model rows in flight at most, for rows of this width. */
    static long maxRowsInFlight(int width) {
        return (long) CHUNKS_IN_FLIGHT * chunkRows(width);
    }

    List<Explanation> run() {
        int n = input.instances().rows();
        progress.total((long) n * samples);
        RowStream stream = new RowStream(runner, progress, context, budget, maxRowsInFlight(width));
        RowBlock fx = stream.evaluate(input.instances(),
                NeededOutputs.scoreColumns(input.outputs(), row -> "instance " + row + " itself"));
        Neighbourhoods neighbourhoods = new Neighbourhoods(fx);
        if (!stream.run(neighbourhoods)) {
            neighbourhoods.stopAtTimeBudget();
        }
        List<Explanation> all = new ArrayList<>();
        for (Explanation[] perInstance : neighbourhoods.results) {
            all.addAll(Arrays.asList(perInstance));
        }
        return all;
    }

    /**
     * The instances' neighbourhoods as chunks: the running ones (at most {@link #MAX_ACTIVE_INSTANCES},
     * within {@link #MAX_ACTIVE_FOOTPRINT}) draw one after another, or in turns under a time budget,
     * and the next instance starts when there is room.
     */
    private final class Neighbourhoods implements RowStream.Chunks {
        final RowBlock fx;
        final Explanation[][] results;
        final List<Neighbourhood> active = new ArrayList<>();
        final int chunkRows = budget.limited() ? Math.min(TIMED_CHUNK_ROWS, chunkRows(width)) : chunkRows(width);
        /** The next instance to start. */
        int next;
        /** Under a time budget: where the next turn starts among the running neighbourhoods. */
        int turn;

        Neighbourhoods(RowBlock fx) {
            this.fx = fx;
            this.results = new Explanation[fx.rows()][];
        }

        @Override
        public RowStream.Chunk next() {
            if (budget.limited()) {
                while (next < fx.rows() && room()) {
                    start();
                }
                for (int i = 0; i < active.size(); i++) {
                    Neighbourhood candidate = active.get((turn + i) % active.size());
                    if (candidate.drawing()) {
                        turn = (turn + i + 1) % active.size();
                        return candidate.nextChunk(this, chunkRows);
                    }
                }
                return null;
            }
            for (Neighbourhood candidate : active) {
                if (candidate.drawing()) {
                    return candidate.nextChunk(this, chunkRows);
                }
            }
            return next < fx.rows() && room() ? start().nextChunk(this, chunkRows) : null;
        }

        @Override
        public boolean done() {
            return next == fx.rows() && active.isEmpty();
        }

        private boolean room() {
            return active.isEmpty() || (active.size() < MAX_ACTIVE_INSTANCES
                    && (active.size() + 1) * footprint <= MAX_ACTIVE_FOOTPRINT);
        }

        private Neighbourhood start() {
            Neighbourhood started = new Neighbourhood(next, fx.row(next));
            next++;
            active.add(started);
            return started;
        }

        void absorbed(Neighbourhood owner) {
            if (owner.complete()) {
                results[owner.index] = owner.explain(samples);
                active.remove(owner);
            }
        }

        /**
         * The time budget ran out: each running instance fits its surrogate on the samples it has
         * (the instance and at least one more), or the request fails when some instance has none.
         */
        void stopAtTimeBudget() {
            int n = fx.rows();
            int without = n - next;
            int first = without > 0 ? next : n;
            for (Neighbourhood a : active) {
                if (a.absorbed < 2) {
                    without++;
                    first = Math.min(first, a.index);
                }
            }
            if (without > 0) {
                throw TimeBudget.tooShort(without, n, first);
            }
            for (Neighbourhood a : active) {
                results[a.index] = a.explain(a.absorbed);
            }
            budget.markPartial();
        }
    }

    /** Samples [first, first + rows) of one neighbourhood. */
    private final class Chunk implements RowStream.Chunk {
        final Neighbourhoods neighbourhoods;
        final Neighbourhood owner;
        final int first;
        final RowBlock rows;

        Chunk(Neighbourhoods neighbourhoods, Neighbourhood owner, int first, RowBlock rows) {
            this.neighbourhoods = neighbourhoods;
            this.owner = owner;
            this.first = first;
            this.rows = rows;
        }

        @Override
        public RowSource rows() {
            return rows;
        }

        @Override
        public NeededOutputs needed() {
            return NeededOutputs.scoreColumns(input.outputs(),
                    row -> "instance " + owner.index + ", neighbourhood sample " + (first + row) + " of " + samples);
        }

        @Override
        public void absorb(RowBlock out) {
            owner.absorb(out);
            neighbourhoods.absorbed(owner);
        }
    }

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

        Chunk nextChunk(Neighbourhoods neighbourhoods, int maxRows) {
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
            return new Chunk(neighbourhoods, this, first, new RowBlock(count, width, inputs));
        }

        void absorb(RowBlock out) {
            int targets = input.outputCount();
            for (int r = 0; r < out.rows(); r++, absorbed++) {
                for (int k = 0; k < targets; k++) {
                    labels[absorbed * targets + k] = input.link().apply(out.get(r, input.output(k)));
                }
            }
        }

        /** The surrogates fitted on the first {@code count} rows: all of them, or those in when time was up. */
        Explanation[] explain(int count) {
            int targets = input.outputCount();
            LimeSurrogate surrogate = new LimeSurrogate(rows.first(count), weights.values(count),
                    count == samples ? labels : Arrays.copyOf(labels, count * targets), targets);
            Explanation[] out = new Explanation[targets];
            double elapsed = (System.nanoTime() - started) / 1e9;
            for (int k = 0; k < out.length; k++) {
                LimeSurrogate.Fit fit = surrogate.fit(k, params.features(), params.featureSelection(),
                        context::throwIfCancelled);
                out[k] = new Explanation(index, input.output(k), fit.intercept(), labels0[k], fit.coefficients(), null,
                        new Diagnostics(count, count, false, width, elapsed, false,
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
