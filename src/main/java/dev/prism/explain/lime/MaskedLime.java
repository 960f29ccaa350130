package dev.prism.explain.lime;

import dev.prism.explain.CoalitionGame;
import dev.prism.explain.Diagnostics;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explanation;
import dev.prism.explain.ProgressSink;
import dev.prism.explain.TimeBudget;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.RequestContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * LIME over feature groups, as lime's image and text explainers: each sample keeps a random subset
 * of the groups that vary and masks the rest with the replacement rows (the {@link CoalitionGame}),
 * row 0 keeps them all, and the surrogate is fitted on the 0/1 indicators weighted by the cosine
 * distance to the all-ones row. Groups that do not vary get 0. With an explicit neighbourhood the
 * indicators cover every group, as given, and the surrogate is fitted on all of them.
 *
 * <p>Under a time budget each instance hands out its samples in stages, by turns (the first
 * {@value #FIRST_STAGE}, then doubling what it has), so all have part of their neighbourhood early;
 * when the budget runs out, each fits its surrogate on the samples evaluated so far: exactly the
 * answer of a request for that many samples.
 */
final class MaskedLime {
    /** Under a time budget: the samples of an instance's first stage, besides the instance itself. */
    static final int FIRST_STAGE = 32;

    private final ExplainInput input;
    private final LimeParams params;
    private final BatchRunner runner;
    private final ProgressSink progress;
    private final RequestContext context;
    private final TimeBudget budget;
    private final int samples;

    MaskedLime(ExplainInput input, LimeParams params, BatchRunner runner, ProgressSink progress,
               RequestContext context, TimeBudget budget) {
        this.input = input;
        this.params = params;
        this.runner = runner;
        this.progress = progress;
        this.context = context;
        this.budget = budget;
        this.samples = params.samples(true);
    }

    List<Explanation> run() {
        Explanation[][] results = new Explanation[input.instances().rows()][];
        CoalitionGame game = new CoalitionGame(input, runner, progress, context, budget);
        game.play(instance -> {
            if (params.neighbourhood() == null && instance.playerCount() == 0) {
                results[instance.index()] = unvarying(instance);
                return null;
            }
            return new Plan(instance, results);
        }, samples - 1);
        List<Explanation> all = new ArrayList<>();
        for (Explanation[] perInstance : results) {
            all.addAll(Arrays.asList(perInstance));
        }
        return all;
    }

    /** No group varies: the model is constant on the neighbourhood, and so is the surrogate. */
    private Explanation[] unvarying(CoalitionGame.Instance instance) {
        Explanation[] out = new Explanation[input.outputCount()];
        for (int k = 0; k < out.length; k++) {
            double fx = instance.fullValue(k);
            out[k] = new Explanation(instance.index(), input.output(k), fx, fx, new double[input.featureCount()],
                    null, new Diagnostics(1, 0, false, 0, instance.elapsedSeconds(), false,
                            new Diagnostics.SurrogateFit(fx, 1, fx)));
        }
        return out;
    }

    /** Cosine distance between a 0/1 row and the all-ones row; 1 for the all-zeros row, as scikit-learn. */
    private static double cosineToOnes(double[] row) {
        int ones = 0;
        for (double v : row) {
            ones += v == 1 ? 1 : 0;
        }
        if (ones == 0) {
            return 1;
        }
        return Math.max(0, 1 - ones / (Math.sqrt(ones) * Math.sqrt(row.length)));
    }

    private final class Plan implements CoalitionGame.Plan {
        final CoalitionGame.Instance instance;
        final Explanation[][] results;
        final int[] players;
        final SplittableRandom rng;
        final int columns;
        final InterpretableRows rows;
        final KernelWeights weights;
        final double[] labels;
        /** Samples handed out by the end of the current stage (row 0 aside): all of them without a time budget. */
        int stageEnd;
        int submitted;
        int absorbed;

        Plan(CoalitionGame.Instance instance, Explanation[][] results) {
            this.instance = instance;
            this.results = results;
            this.players = instance.players();
            this.rng = LimeExplainer.random(input.seed(), instance.index());
            this.columns = params.neighbourhood() != null ? input.featureCount() : players.length;
            this.weights = new KernelWeights(samples, params.kernelWidth(true, columns));
            this.rows = InterpretableRows.binary(columns, samples);
            int targets = input.outputCount();
            this.labels = new double[samples * targets];
            double[] all = new double[columns];
            Arrays.fill(all, 1);
            rows.add(all);
            weights.set(0, 0);
            for (int k = 0; k < targets; k++) {
                labels[k] = instance.fullValue(k);
            }
            this.stageEnd = budget.limited() ? Math.min(samples - 1, FIRST_STAGE) : samples - 1;
        }

        @Override
        public List<boolean[]> next(int max) {
            int count = Math.min(max, stageEnd - submitted);
            List<boolean[]> out = new ArrayList<>(count);
            for (int i = 0; i < count; i++, submitted++) {
                out.add(params.neighbourhood() != null ? given(1 + submitted) : draw());
            }
            return out;
        }

        /** A coalition of the players from a row of the explicit neighbourhood. */
        private boolean[] given(int row) {
            boolean[] z = new boolean[players.length];
            for (int p = 0; p < players.length; p++) {
                z[p] = params.neighbourhood().data().get(row, players[p]) == 1;
            }
            return z;
        }

        private boolean[] draw() {
            int m = players.length;
            boolean[] z = new boolean[m];
            if (params.masking() == LimeParams.MaskSampling.BERNOULLI) {
                for (int p = 0; p < m; p++) {
                    z[p] = rng.nextBoolean();
                }
                return z;
            }
            Arrays.fill(z, true);
            int[] order = new int[m];
            for (int p = 0; p < m; p++) {
                order[p] = p;
            }
            // k uniform in [1, m], then the first k places of a partial Fisher-Yates shuffle.
            int masked = 1 + rng.nextInt(m);
            for (int i = 0; i < masked; i++) {
                int j = i + rng.nextInt(m - i);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
                z[order[i]] = false;
            }
            return z;
        }

        @Override
        public void absorb(List<boolean[]> coalitions, double[][] values) {
            int targets = input.outputCount();
            for (int j = 0; j < coalitions.size(); j++) {
                int row = 1 + absorbed++;
                double[] indicators = params.neighbourhood() != null ? params.neighbourhood().data().row(row)
                        : asDoubles(coalitions.get(j));
                rows.add(indicators);
                weights.set(row, cosineToOnes(indicators));
                System.arraycopy(values[j], 0, labels, row * targets, targets);
            }
            if (done()) {
                results[instance.index()] = explain(samples);
            }
        }

        @Override
        public boolean done() {
            return absorbed == samples - 1;
        }

        @Override
        public boolean nextStage() {
            if (stageEnd == samples - 1) {
                return false;
            }
            stageEnd = (int) Math.min(samples - 1, 2L * stageEnd);
            return true;
        }

        /** The surrogate of the samples evaluated so far; none before the first. */
        @Override
        public boolean timeUp() {
            if (absorbed == 0) {
                return false;
            }
            results[instance.index()] = explain(absorbed + 1);
            return true;
        }

        @Override
        public long expectedCoalitions() {
            return samples - 1;
        }

        /** The surrogates of the first {@code count} rows (the instance's among them), all it has absorbed. */
        private Explanation[] explain(int count) {
            int targets = input.outputCount();
            LimeSurrogate surrogate = new LimeSurrogate(rows, weights.values(count),
                    count == samples ? labels : Arrays.copyOf(labels, count * targets), targets);
            Explanation[] out = new Explanation[targets];
            long evaluations = (long) (count - 1) * instance.rowsPerCoalition() + 1;
            for (int k = 0; k < out.length; k++) {
                LimeSurrogate.Fit fit = surrogate.fit(k, params.features(), params.featureSelection(),
                        context::throwIfCancelled);
                double[] attributions = params.neighbourhood() != null ? fit.coefficients()
                        : instance.expand(fit.coefficients());
                out[k] = new Explanation(instance.index(), input.output(k), fit.intercept(), instance.fullValue(k),
                        attributions, null, new Diagnostics(evaluations, count, false, players.length,
                                instance.elapsedSeconds(), false,
                                new Diagnostics.SurrogateFit(fit.intercept(), fit.score(), fit.localPrediction())));
            }
            return out;
        }
    }

    private static double[] asDoubles(boolean[] z) {
        double[] row = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            row[i] = z[i] ? 1 : 0;
        }
        return row;
    }
}
