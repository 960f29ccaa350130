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
import dev.prism.linalg.ExactSum;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.RequestContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Exact interventional Shapley values: every coalition of the M varying players is evaluated and
 * combined with the Shapley formula φ_i = Σ_{S∌i} w(|S|)(v(S ∪ i) − v(S)), w(s) = s!(M−s−1)!/M!.
 * Coalitions are generated from their index a chunk at a time and folded into φ as their values
 * arrive, so memory does not grow with 2^M.
 */
public final class ExactShapleyExplainer implements Explainer<ExactShapleyParams> {
    public static final ExplainMethod METHOD = ExplainMethod.onModelRows("exact_shapley",
            ExplainMethod.Reference.BACKGROUND_OR_BASELINE,
            "exact_shapley has no estimate before its end", false, false, true);
    /** Coalition indices and budgets stay far from overflow. */
    public static final int MAX_PLAYERS = 30;

    /**
     * Checks the budget against the feature count, an upper bound of every instance's M: before any
     * model work, which features vary is not known yet.
     */
    @Override
    public ExplainMethod method() {
        return METHOD;
    }

    @Override
    public void validate(ExplainInput input, ExactShapleyParams params) {
        if (params.maxEvaluations() < 0) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "exact_shapley.max_evaluations",
                    "must be >= 0 (0 = " + ExactShapleyParams.DEFAULT_MAX_EVALUATIONS + "), got "
                            + params.maxEvaluations());
        }
        checkBudget(input, params, input.featureCount(), "the request has " + input.featureCount() + " features");
    }

    /** Refuses M players whose 2^M coalitions cost more model rows than the budget. */
    private static void checkBudget(ExplainInput input, ExactShapleyParams params, int m, String players) {
        long rows = input.background().size();
        long budget = params.effectiveMaxEvaluations();
        if (m > MAX_PLAYERS) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "exact_shapley.max_evaluations", players
                    + "; exact Shapley values enumerate 2^M coalitions and allow at most M = " + MAX_PLAYERS
                    + "; use kernel_shap or permutation_shap, or group the features");
        }
        if ((1L << m) * rows > budget) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "exact_shapley.max_evaluations", players
                    + ": 2^" + m + " coalitions x " + rows + " background rows = " + (1L << m) * rows
                    + " model rows per instance, more than the budget of " + budget
                    + "; raise max_evaluations, use fewer background rows or group the features");
        }
    }

    @Override
    public long evaluationsNeeded(ExplainInput input, ExactShapleyParams params) {
        int m = input.featureCount();
        if (m > MAX_PLAYERS) {
            return Long.MAX_VALUE;
        }
        long rows = input.background().size();
        return input.instances().rows() * (interiorCoalitions(m) * rows + 1) + rows;
    }

    /** Per instance: every coalition and its value for each output. */
    @Override
    public long workingBytes(ExplainInput input, ExactShapleyParams params, int outputWidth, boolean timeBudget) {
        int m = Math.min(input.featureCount(), MAX_PLAYERS);
        long coalitions = interiorCoalitions(m) + 2;
        long perInstance = coalitions * (m + 32 + (long) input.outputCount() * Double.BYTES);
        return CoalitionGame.workingBytes(input, outputWidth, coalitions, perInstance);
    }


    @Override
    public List<Explanation> explain(ExplainInput input, ExactShapleyParams params, BatchRunner runner,
                                     ProgressSink progress, RequestContext context, TimeBudget budget) {
        Explanation[][] results = new Explanation[input.instances().rows()][];
        // No estimate before the last coalition: the budget is not this method's to honour.
        CoalitionGame game = new CoalitionGame(input, runner, progress, context, TimeBudget.NONE);
        game.play(instance -> {
            int m = instance.playerCount();
            // validate bounded the feature count; this holds for callers that did not call it.
            checkBudget(input, params, m, "instance " + instance.index() + " has " + m + " varying features");
            if (m < 2) {
                results[instance.index()] = KernelShapExplainer.trivial(input, instance);
                return null;
            }
            return new Plan(input, instance, results);
        }, interiorCoalitions(Math.min(input.featureCount(), MAX_PLAYERS)));
        return Arrays.stream(results).flatMap(Arrays::stream).toList();
    }

    /** Coalitions other than the empty and the full one, whose values the game already has. */
    private static long interiorCoalitions(int m) {
        return (1L << m) - 2;
    }

    /** One instance: coalitions by index, 1 to 2^M − 2, each folded into φ as its value arrives. */
    private static final class Plan implements CoalitionGame.Plan {
        final ExplainInput input;
        final CoalitionGame.Instance instance;
        final Explanation[][] results;
        final int m;
        final long interior;
        /** w(s) = s!(M−s−1)!/M! for s = 0 … M−1. */
        final double[] weights;
        /**
         * φ[output][player], summed exactly: a dummy's terms cancel to exactly 0 and symmetric
         * players get bitwise equal values whatever order the coalitions come in.
         */
        final ExactSum[][] phi;
        long submitted;
        long absorbed;

        Plan(ExplainInput input, CoalitionGame.Instance instance, Explanation[][] results) {
            this.input = input;
            this.instance = instance;
            this.results = results;
            this.m = instance.playerCount();
            this.interior = interiorCoalitions(m);
            this.weights = new double[m];
            long binomial = 1; // C(M−1, s)
            for (int s = 0; s < m; s++) {
                weights[s] = 1.0 / ((double) m * binomial);
                binomial = binomial * (m - 1 - s) / (s + 1);
            }
            this.phi = new ExactSum[input.outputCount()][m];
            double[] empty = new double[phi.length];
            double[] full = new double[phi.length];
            for (int k = 0; k < phi.length; k++) {
                Arrays.setAll(phi[k], i -> new ExactSum());
                empty[k] = instance.emptyValue(k);
                full[k] = instance.fullValue(k);
            }
            fold(new boolean[m], empty);
            boolean[] all = new boolean[m];
            Arrays.fill(all, true);
            fold(all, full);
        }

        @Override
        public List<boolean[]> next(int max) {
            int count = (int) Math.min(max, interior - submitted);
            List<boolean[]> coalitions = new ArrayList<>(count);
            for (int j = 0; j < count; j++) {
                long index = ++submitted;
                boolean[] z = new boolean[m];
                for (int p = 0; p < m; p++) {
                    z[p] = (index >>> p & 1) == 1;
                }
                coalitions.add(z);
            }
            return coalitions;
        }

        @Override
        public void absorb(List<boolean[]> coalitions, double[][] values) {
            for (int j = 0; j < coalitions.size(); j++) {
                fold(coalitions.get(j), values[j]);
            }
            absorbed += coalitions.size();
            if (absorbed == interior) {
                publish();
            }
        }

        /** v(S) enters φ_i with +w(|S|−1) for every i in S and −w(|S|) for every i outside. */
        private void fold(boolean[] z, double[] value) {
            int size = 0;
            for (boolean on : z) {
                size += on ? 1 : 0;
            }
            for (int k = 0; k < phi.length; k++) {
                double in = size > 0 ? weights[size - 1] * value[k] : 0;
                double out = size < m ? -(weights[size] * value[k]) : 0;
                for (int i = 0; i < m; i++) {
                    phi[k][i].add(z[i] ? in : out);
                }
            }
        }

        @Override
        public boolean done() {
            return absorbed == interior;
        }

        @Override
        public long expectedCoalitions() {
            return interior;
        }

        private void publish() {
            Explanation[] out = new Explanation[phi.length];
            Diagnostics diagnostics = new Diagnostics(interior * instance.rowsPerCoalition() + 1, interior, true, m,
                    instance.elapsedSeconds());
            for (int k = 0; k < out.length; k++) {
                double[] values = new double[m];
                for (int i = 0; i < m; i++) {
                    values[i] = phi[k][i].value();
                }
                out[k] = new Explanation(instance.index(), input.output(k), instance.emptyValue(k),
                        instance.fullValue(k), instance.expand(values), null, diagnostics);
            }
            results[instance.index()] = out;
        }
    }
}
