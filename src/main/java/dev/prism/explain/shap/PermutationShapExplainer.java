package dev.prism.explain.shap;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.CoalitionGame;
import dev.prism.explain.Diagnostics;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.ExplainMethod;
import dev.prism.explain.Explainer;
import dev.prism.explain.Explanation;
import dev.prism.explain.ProgressSink;
import dev.prism.explain.TimeBudget;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.RequestContext;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Permutation SHAP with antithetic permutations, as shap's PermutationExplainer: each random
 * permutation switches the players on in its order, from the empty coalition to the full one, then
 * off again in the same order. A player's estimate from one permutation is the mean of its two
 * marginal contributions; the two passes telescope, so every permutation's estimates add up to
 * v(full) − v(∅) exactly, and games with interactions of order at most 2 are exact from one
 * permutation. Standard errors come from the spread between permutations (none from a single one).
 *
 * <p>Under a time budget every instance hands out one permutation per turn, so all have estimates
 * early; when the budget runs out, each answers from its whole permutations so far: exactly the
 * answer of a request for that many permutations.
 */
public final class PermutationShapExplainer implements Explainer<PermutationShapParams> {
    public static final ExplainMethod METHOD = ExplainMethod.onModelRows("permutation_shap",
            ExplainMethod.Reference.BACKGROUND_OR_BASELINE,
            "permutation_shap has no estimate before its end", false, true, true);

    @Override
    public ExplainMethod method() {
        return METHOD;
    }

    @Override
    public void validate(ExplainInput input, PermutationShapParams params) {
        if (params.maxEvals() < 0 || params.maxEvals() > PermutationShapParams.MAX_MAX_EVALS) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "permutation_shap.max_evals",
                    "must be in [0, " + PermutationShapParams.MAX_MAX_EVALS + "] (0 = "
                            + PermutationShapParams.DEFAULT_MAX_EVALS + "), got " + params.maxEvals());
        }
        if (params.npermutations() < 0 || params.npermutations() > PermutationShapParams.MAX_NPERMUTATIONS) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "permutation_shap.npermutations",
                    "must be in [0, " + PermutationShapParams.MAX_NPERMUTATIONS + "] (0 = from max_evals), got "
                            + params.npermutations());
        }
    }

    @Override
    public long evaluationsNeeded(ExplainInput input, PermutationShapParams params) {
        long rows = input.background().size();
        return input.instances().rows() * (params.maxCoalitions(input.featureCount()) * rows + 1) + rows;
    }

    /**
     * Per instance: one permutation's coalitions and values, and the running means and squares; under
     * a time budget every instance keeps them until the end.
     */
    @Override
    public long workingBytes(ExplainInput input, PermutationShapParams params, int outputWidth, boolean timeBudget) {
        long m = input.featureCount();
        long perPermutation = 2 * m + 1;
        long perInstance = perPermutation * (m + 32 + (long) input.outputCount() * Double.BYTES)
                + 3L * input.outputCount() * m * Double.BYTES;
        return timeBudget ? CoalitionGame.workingBytesInTurns(input, outputWidth, perInstance)
                : CoalitionGame.workingBytes(input, outputWidth, perPermutation, perInstance);
    }


    @Override
    public List<Explanation> explain(ExplainInput input, PermutationShapParams params, BatchRunner runner,
                                     ProgressSink progress, RequestContext context, TimeBudget budget) {
        Explanation[][] results = new Explanation[input.instances().rows()][];
        CoalitionGame game = new CoalitionGame(input, runner, progress, context, budget);
        int features = input.featureCount();
        game.play(instance -> {
            if (instance.playerCount() < 2) {
                results[instance.index()] = KernelShapExplainer.trivial(input, instance);
                return null;
            }
            SplittableRandom random = new SplittableRandom(input.seed() * 0x9E3779B97F4A7C15L + instance.index());
            return new Plan(input, instance, params.permutations(instance.playerCount()), random, budget.limited(),
                    progress, results);
        }, params.permutations(features) * PermutationShapParams.coalitionsPerPermutation(features));
        return Arrays.stream(results).flatMap(Arrays::stream).toList();
    }

    /**
     * One instance. Permutation p asks for its forward coalitions (the first 1 … M−1 players of π
     * on) and then its backward ones (the first 1 … M−1 players of π off). In stages (under a time
     * budget) each stage is one permutation.
     */
    private static final class Plan implements CoalitionGame.Plan {
        final ExplainInput input;
        final CoalitionGame.Instance instance;
        final ProgressSink progress;
        final Explanation[][] results;
        final int m;
        final int perPermutation;
        final long total;
        final SplittableRandom random;
        /** Coalitions handed out by the end of the current stage: one permutation's more each stage, or all. */
        long stageEnd;
        /** Permutations handed out whose values have not all arrived, oldest first. */
        final ArrayDeque<int[]> pending = new ArrayDeque<>();
        /** Values of the oldest pending permutation's coalitions so far, in step order. */
        final double[][] buffered;
        int filled;
        long submitted;
        long absorbed;
        /** Running mean and sum of squared deviations (Welford) of the per-permutation estimates. */
        final double[][] mean;
        final double[][] squares;
        int completed;

        Plan(ExplainInput input, CoalitionGame.Instance instance, int permutations, SplittableRandom random,
             boolean staged, ProgressSink progress, Explanation[][] results) {
            this.input = input;
            this.instance = instance;
            this.progress = progress;
            this.results = results;
            this.m = instance.playerCount();
            this.perPermutation = (int) PermutationShapParams.coalitionsPerPermutation(m);
            this.total = (long) permutations * perPermutation;
            this.random = random;
            this.stageEnd = staged ? perPermutation : total;
            this.buffered = new double[perPermutation][];
            this.mean = new double[input.outputCount()][m];
            this.squares = new double[input.outputCount()][m];
        }

        @Override
        public List<boolean[]> next(int max) {
            int count = (int) Math.min(max, stageEnd - submitted);
            List<boolean[]> coalitions = new ArrayList<>(count);
            for (int j = 0; j < count; j++) {
                int step = (int) (submitted++ % perPermutation);
                if (step == 0) {
                    pending.add(shuffled());
                }
                coalitions.add(coalition(pending.getLast(), step));
            }
            return coalitions;
        }

        private int[] shuffled() {
            int[] pi = new int[m];
            for (int i = 0; i < m; i++) {
                int j = random.nextInt(i + 1);
                pi[i] = pi[j];
                pi[j] = i;
            }
            return pi;
        }

        /** Steps 0 … M−2 switch π[0 … step] on; steps M−1 … 2M−3 switch π[0 … step−M+1] off. */
        private boolean[] coalition(int[] pi, int step) {
            boolean forward = step < m - 1;
            int switched = forward ? step + 1 : step - m + 2;
            boolean[] z = new boolean[m];
            if (!forward) {
                Arrays.fill(z, true);
            }
            for (int j = 0; j < switched; j++) {
                z[pi[j]] = forward;
            }
            return z;
        }

        @Override
        public void absorb(List<boolean[]> coalitions, double[][] values) {
            int before = completed;
            for (double[] v : values) {
                buffered[filled++] = v;
                if (filled == perPermutation) {
                    addPermutation(pending.poll());
                    filled = 0;
                }
            }
            absorbed += coalitions.size();
            if (absorbed == total) {
                publish();
            } else if (completed > before && completed >= 2 && progress.wantsEstimates()) {
                for (int k = 0; k < mean.length; k++) {
                    progress.estimate(instance.index(), input.output(k), instance.expand(mean[k]),
                            instance.expand(standardErrors(k)));
                }
            }
        }

        /** Folds one permutation's estimates, the mean of the forward and backward marginals. */
        private void addPermutation(int[] pi) {
            completed++;
            for (int k = 0; k < mean.length; k++) {
                double empty = instance.emptyValue(k);
                double full = instance.fullValue(k);
                for (int j = 0; j < m; j++) {
                    double onBefore = j == 0 ? empty : buffered[j - 1][k];
                    double onAfter = j == m - 1 ? full : buffered[j][k];
                    double offBefore = j == 0 ? full : buffered[m - 2 + j][k];
                    double offAfter = j == m - 1 ? empty : buffered[m - 1 + j][k];
                    double estimate = 0.5 * ((onAfter - onBefore) + (offBefore - offAfter));
                    int player = pi[j];
                    double delta = estimate - mean[k][player];
                    mean[k][player] += delta / completed;
                    squares[k][player] += delta * (estimate - mean[k][player]);
                }
            }
        }

        /** Standard error of the mean over permutations; none from a single permutation. */
        private double[] standardErrors(int k) {
            if (completed < 2) {
                return null;
            }
            double[] se = new double[m];
            for (int i = 0; i < m; i++) {
                se[i] = Math.sqrt(squares[k][i] / (completed - 1) / completed);
            }
            return se;
        }

        @Override
        public boolean nextStage() {
            if (stageEnd == total) {
                return false;
            }
            stageEnd += perPermutation;
            return true;
        }

        /** The estimate from the whole permutations so far; none before the first. */
        @Override
        public boolean timeUp() {
            if (completed == 0) {
                return false;
            }
            publish();
            return true;
        }

        @Override
        public boolean done() {
            return absorbed == total;
        }

        @Override
        public long expectedCoalitions() {
            return total;
        }

        /** The mean over the permutations completed: all of them, or those before the time budget ran out. */
        private void publish() {
            Explanation[] out = new Explanation[mean.length];
            long coalitions = (long) completed * perPermutation;
            Diagnostics diagnostics = new Diagnostics(coalitions * instance.rowsPerCoalition() + 1, coalitions, false,
                    m, instance.elapsedSeconds());
            for (int k = 0; k < out.length; k++) {
                double[] se = standardErrors(k);
                out[k] = new Explanation(instance.index(), input.output(k), instance.emptyValue(k),
                        instance.fullValue(k), instance.expand(mean[k]), se == null ? null : instance.expand(se),
                        diagnostics);
            }
            results[instance.index()] = out;
        }
    }
}
