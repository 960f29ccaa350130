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
import dev.prism.linalg.ConstrainedLeastSquares;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.RequestContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * KernelSHAP: the constrained weighted regression of coalition values on coalitions, with
 * interventional masking over the weighted background, the efficiency constraint enforced exactly
 * and features equal to every background row left out. The coalitions come from shap's
 * KernelExplainer design ({@link CoalitionDesign}) or Leverage SHAP's ({@link LeverageDesign}); by
 * default the latter with its pairs herded ({@link PairHerding}) and the estimate
 * regression-adjusted by screened odd interactions ({@link OddTermAdjustment}). Sampled coalitions
 * come in draw groups whose spread gives the standard errors; with a tolerance an instance stops as
 * soon as every error is below it. Under a time budget each instance evaluates the same design in
 * another order, taking turns with the others, so that all have an estimate early
 * ({@link AnytimePlan}).
 */
public final class KernelShapExplainer implements Explainer<KernelShapParams> {
    public static final ExplainMethod METHOD = ExplainMethod.onModelRows("kernel_shap",
            ExplainMethod.Reference.BACKGROUND_OR_BASELINE,
            null, true, true, true);

    private final long turnWindowBytes;

    public KernelShapExplainer() {
        this(CoalitionGame.TURN_WINDOW_BYTES);
    }

    /** With another bound on the designs instances keep between their turns under a time budget. */
    KernelShapExplainer(long turnWindowBytes) {
        this.turnWindowBytes = turnWindowBytes;
    }

    @Override
    public ExplainMethod method() {
        return METHOD;
    }

    @Override
    public void validate(ExplainInput input, KernelShapParams params) {
        long n = params.nsamples();
        if (n != 0 && (n < 2 || n > KernelShapParams.MAX_NSAMPLES)) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "kernel_shap.nsamples",
                    "must be 0 (auto) or in [2, " + KernelShapParams.MAX_NSAMPLES + "], got " + n);
        }
        if (!(params.tolerance() >= 0) || Double.isInfinite(params.tolerance())) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "kernel_shap.tolerance",
                    "must be finite and >= 0, got " + params.tolerance());
        }
        if (params.coalitions() != null) {
            validateExplicit(input, params);
        }
        if (params.l1() != null && params.tolerance() > 0) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "kernel_shap.tolerance",
                    "cannot be combined with l1_reg: the selected solve has no standard errors to stop on");
        }
    }

    private static void validateExplicit(ExplainInput input, KernelShapParams params) {
        if (input.instances().rows() != 1) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "kernel_shap.coalitions",
                    "explicit coalitions need a request of exactly one instance");
        }
        List<boolean[]> z = params.coalitions();
        if (z.isEmpty() || params.coalitionWeights().length != z.size()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "kernel_shap.coalition_weights",
                    "needs one weight per coalition (" + z.size() + "), got " + params.coalitionWeights().length);
        }
        for (double w : params.coalitionWeights()) {
            if (!(w >= 0) || Double.isInfinite(w)) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, "kernel_shap.coalition_weights",
                        "weights must be finite and >= 0");
            }
        }
    }

    @Override
    public long evaluationsNeeded(ExplainInput input, KernelShapParams params) {
        long perInstance = params.effectiveSamples(input.featureCount()) * input.background().size() + 1;
        return input.instances().rows() * perInstance + input.background().size();
    }

    /**
     * Per running instance: its design's coalitions and weights, the observed values, and the
     * regression's copies; under a time budget, every instance's values too.
     */
    @Override
    public long workingBytes(ExplainInput input, KernelShapParams params, int outputWidth, boolean timeBudget) {
        long m = input.featureCount();
        long coalitions = params.effectiveSamples((int) m);
        // the coalitions, their observations, and the regression's parts (the design's groups, the
        // enumerated part and the final weights' part, with a solve's copies)
        long perInstance = coalitions * (m + 64 + 3L * input.outputCount() * Double.BYTES)
                + (CoalitionDesign.DEFAULT_GROUPS + 4L) * m * m * Double.BYTES;
        // The active plans, and the finished ones whose solves (with their adjustment) are pending beside them.
        long adjustment = params.estimator() == KernelShapParams.Estimator.ADJUSTED
                ? OddTermAdjustment.workingBytes((int) m, (int) coalitions) : 0;
        // the Leverage designs' standard errors on few draw groups
        long sandwich = params.estimator() != KernelShapParams.Estimator.KERNEL
                ? StratifiedSandwich.workingBytes((int) m, (int) coalitions) : 0;
        // herding the default's pairs, one design at a time on the request's thread
        long herding = params.estimator() == KernelShapParams.Estimator.ADJUSTED ? PairHerding.workingBytes((int) m) : 0;
        long running = CoalitionGame.workingBytes(input, outputWidth, coalitions, perInstance) + herding
                + Math.min(input.instances().rows(), Solvers.MAX_PENDING) * (perInstance + adjustment + sandwich);
        if (!timeBudget) {
            return running;
        }
        // Taking turns, every instance keeps its values and running estimate until the end; the
        // designs of the instances in the turn window are held besides.
        long values = coalitions * (input.outputCount() + 1L) * Double.BYTES
                + 2L * input.outputCount() * m * Double.BYTES;
        return running + turnWindowBytes + input.instances().rows() * values;
    }


    @Override
    public List<Explanation> explain(ExplainInput input, KernelShapParams params, BatchRunner runner,
                                     ProgressSink progress, RequestContext context, TimeBudget budget) {
        Explanation[][] results = new Explanation[input.instances().rows()][];
        CoalitionGame game = new CoalitionGame(input, runner, progress, context, budget, turnWindowBytes);
        Solvers solvers = new Solvers();
        // Under a time budget each instance evaluates its design in an order that gives an estimate early.
        boolean anytime = budget.limited() && params.l1() == null && params.coalitions() == null;
        try {
            game.play(instance -> {
                int m = instance.playerCount();
                if (m < 2) {
                    results[instance.index()] = trivial(input, instance);
                    return null;
                }
                if (params.coalitions() != null) {
                    if (params.coalitions().get(0).length != m) {
                        throw PrismException.invalid(Reason.INVALID_PARAMS, "kernel_shap.coalitions",
                                "coalitions have " + params.coalitions().get(0).length + " columns but " + m
                                        + " features of the instance vary");
                    }
                    return new Plan(input, params, instance,
                            CoalitionDesign.explicit(m, params.coalitions(), params.coalitionWeights()), progress, results,
                            solvers);
                }
                if (anytime) {
                    return AnytimePlan.start(input, params, instance, progress, results, solvers);
                }
                return new Plan(input, params, instance, design(input, params, instance, false), progress, results,
                        solvers);
            }, params.effectiveSamples(input.featureCount()));
            solvers.awaitAll();
        } finally {
            solvers.awaitQuietly();
        }
        List<Explanation> all = new ArrayList<>();
        for (Explanation[] perInstance : results) {
            all.addAll(Arrays.asList(perInstance));
        }
        return all;
    }

    /**
     * The instance's design: the same for the same seed and instance, whenever it is built, with or
     * without a time budget. {@code keepDraws} keeps shap's draws for an anytime layout.
     */
    static CoalitionDesign design(ExplainInput input, KernelShapParams params, CoalitionGame.Instance instance,
                                  boolean keepDraws) {
        int m = instance.playerCount();
        SplittableRandom rng = new SplittableRandom(input.seed() * 0x9E3779B97F4A7C15L + instance.index());
        if (params.estimator() == KernelShapParams.Estimator.KERNEL) {
            return CoalitionDesign.build(m, params.effectiveSamples(m), rng, keepDraws, instance.cancellation());
        }
        // The default's pairs are herded; ESTIMATOR_LEVERAGE keeps Leverage SHAP's uniform draws.
        boolean herded = params.estimator() == KernelShapParams.Estimator.ADJUSTED;
        return CoalitionDesign.fromLeverage(LeverageDesign.build(m, params.effectiveSamples(m), rng,
                instance.cancellation(), herded), instance.cancellation());
    }

    /** Fewer than two varying features: nothing to estimate. */
    static Explanation[] trivial(ExplainInput input, CoalitionGame.Instance instance) {
        Explanation[] out = new Explanation[input.outputCount()];
        int[] players = instance.players();
        for (int k = 0; k < out.length; k++) {
            double[] phi = new double[input.featureCount()];
            if (players.length == 1) {
                phi[players[0]] = instance.fullValue(k) - instance.emptyValue(k);
            }
            out[k] = new Explanation(instance.index(), input.output(k), instance.emptyValue(k),
                    instance.fullValue(k), phi, null,
                    new Diagnostics(1, 0, true, players.length, instance.elapsedSeconds()));
        }
        return out;
    }

    /** One instance's coalitions, their values and the regressions they feed. */
    static final class Plan implements CoalitionGame.Plan {
        /**
         * Below this many draw groups a Leverage design's standard errors come from the
         * {@link StratifiedSandwich}: the groups' spread has too few degrees of freedom (with 2
         * groups the jackknife covered 73% within 2.5 s.e. on the bench's mlp_m8 at 8·M).
         */
        static final int MIN_JACKKNIFE_GROUPS = 4;

        final ExplainInput input;
        final KernelShapParams params;
        final CoalitionGame.Instance instance;
        final CoalitionDesign design;
        final ProgressSink progress;
        final Explanation[][] results;
        final ConstrainedLeastSquares enumeratedPart;
        final ConstrainedLeastSquares[] groupParts;
        /** The sampled masks under the design's final weights, when those are not the group average. */
        final ConstrainedLeastSquares fullPart;
        /**
         * The standard errors come from the pairs' spread within size classes,
         * {@link StratifiedSandwich}: on a Leverage design with too few draw groups for their
         * spread (none with one), and always for the plain regression, whose draw groups' spread
         * overstated its error 2.6–4 times at 16·M–32·M on three of the bench's games (the full
         * design's regression is more efficient than the mean of its groups').
         */
        final boolean sandwich;
        /** Every mask's y (for L1 selection, the adjustment and the sandwich, which need the observations), else null. */
        final double[][] observations;
        final boolean adjust;
        /** Where the final solve runs, beside the request's thread. */
        final Solvers solvers;
        int submitted;
        int absorbed;
        int groupsDone;
        boolean stopped;

        Plan(ExplainInput input, KernelShapParams params, CoalitionGame.Instance instance, CoalitionDesign design,
             ProgressSink progress, Explanation[][] results, Solvers solvers) {
            this.input = input;
            this.solvers = solvers;
            this.params = params;
            this.instance = instance;
            this.design = design;
            this.progress = progress;
            this.results = results;
            double[] totals = new double[input.outputCount()];
            for (int k = 0; k < totals.length; k++) {
                totals[k] = instance.fullValue(k) - instance.emptyValue(k);
            }
            this.enumeratedPart = new ConstrainedLeastSquares(instance.playerCount(), totals);
            this.groupParts = new ConstrainedLeastSquares[design.groups];
            for (int g = 0; g < design.groups; g++) {
                groupParts[g] = enumeratedPart.emptyCopy();
            }
            this.fullPart = design.fullSampleWeights != null ? enumeratedPart.emptyCopy() : null;
            this.adjust = params.l1() == null && params.estimator() == KernelShapParams.Estimator.ADJUSTED
                    && !design.complete && design.groups > 0
                    && OddTermAdjustment.applies(instance.playerCount(), design.masks.size());
            this.sandwich = params.l1() == null && params.estimator() != KernelShapParams.Estimator.KERNEL
                    && !design.complete && design.groups > 0
                    && (params.estimator() == KernelShapParams.Estimator.LEVERAGE
                        || design.groups < MIN_JACKKNIFE_GROUPS);
            this.observations = params.l1() != null || adjust || sandwich ? new double[design.masks.size()][] : null;
        }

        @Override
        public List<boolean[]> next(int max) {
            if (stopped || submitted == design.masks.size()) {
                return List.of();
            }
            int from = submitted;
            submitted = Math.min(design.masks.size(), from + max);
            return design.masks.subList(from, submitted);
        }

        @Override
        public void absorb(List<boolean[]> coalitions, double[][] values) {
            int from = absorbed;
            absorbed += coalitions.size();
            if (stopped) {
                return;
            }
            double[] y = new double[input.outputCount()];
            for (int j = from; j < absorbed; j++) {
                for (int k = 0; k < y.length; k++) {
                    y[k] = values[j - from][k] - instance.emptyValue(k);
                }
                boolean[] z = design.masks.get(j);
                if (observations != null) {
                    observations[j] = y.clone();
                }
                accumulate(j, z, y);
            }
            if (absorbed == design.masks.size()) {
                // Nothing touches this plan's sums after its last values: the solve may run elsewhere.
                solvers.submit(() -> finish(false));
            } else {
                afterGroups();
            }
        }

        /** Adds mask j's observation y to the enumerated part or to its draw groups. */
        private void accumulate(int j, boolean[] z, double[] y) {
            if (j < design.enumerated) {
                enumeratedPart.add(z, design.enumeratedWeights.get(j), y);
            } else {
                if (fullPart != null) {
                    fullPart.add(z, design.fullSampleWeights.get(j - design.enumerated), y);
                }
                int[] groups = design.drawGroups.get(j);
                double[] counts = design.drawCounts.get(j);
                for (int t = 0; t < groups.length; t++) {
                    groupParts[groups[t]].add(z, counts[t], y);
                }
            }
        }

        /** After each further completed draw group (two at least): report, and stop if tight enough. */
        private void afterGroups() {
            int before = groupsDone;
            while (groupsDone < design.groups && absorbed >= design.groupEnd[groupsDone]) {
                groupsDone++;
            }
            boolean wanted = progress.wantsEstimates() || params.tolerance() > 0;
            if (groupsDone == before || groupsDone < 2 || !wanted) {
                return;
            }
            Estimate e = estimate(groupsDone);
            if (progress.wantsEstimates()) {
                for (int k = 0; k < input.outputCount(); k++) {
                    progress.estimate(instance.index(), input.output(k), e.phi[k], e.se[k]);
                }
            }
            if (params.tolerance() > 0 && e.maxError() <= params.tolerance()) {
                stopped = true;
                publish(e, true);
            }
        }

        @Override
        public boolean done() {
            return absorbed == submitted && (stopped || absorbed == design.masks.size());
        }

        /** The estimate from the draw groups absorbed so far (the adjustment is skipped: no time left). */
        @Override
        public boolean timeUp() {
            if (stopped || absorbed == design.masks.size()) {
                return true; // already published
            }
            if (params.l1() != null || design.complete || groupsDone < 2) {
                return false;
            }
            stopped = true;
            publish(estimate(groupsDone), false);
            return true;
        }

        @Override
        public long expectedCoalitions() {
            return stopped ? submitted : design.masks.size();
        }

        private void finish(boolean converged) {
            // A solve may wait on the shared pool behind other requests' solves: one whose request
            // has gone meanwhile ends before any work.
            instance.cancellation().throwIfCancelled();
            if (params.l1() != null) {
                publish(new Estimate(expand(selectAndSolve()), null), false);
                return;
            }
            Estimate e = null;
            if (sandwich) {
                double[][] phi = expand(combine(design.groups).solve());
                double[][] se = sandwichErrors(phi);
                // no size class with two pairs: the groups' spread where there are two groups
                e = se != null || design.groups < 2 ? new Estimate(phi, se) : null;
            }
            if (e == null) {
                e = design.complete || design.groups < 2
                        ? new Estimate(expand(combine(design.groups).solve()), null)
                        : estimate(design.groups);
            }
            if (adjust) {
                e = adjusted(e);
            }
            publish(e, converged || (params.tolerance() > 0 && e.se != null && e.maxError() <= params.tolerance()));
        }

        private void publish(Estimate e, boolean converged) {
            results[instance.index()] = explanations(input, instance, e, absorbed, design.complete, converged);
        }

        /**
         * The regression-adjusted estimate: per output, odd terms fitted jointly with KernelSHAP on
         * every coalition, the terms' exact values added to the fit's β. Standard errors are the
         * delete-a-group jackknife's, with the terms' coefficients refitted without each group, so
         * they count the coefficients' error as well as the rest's; under the {@link #sandwich}, the
         * plain regression's.
         */
        private Estimate adjusted(Estimate plain) {
            int m = instance.playerCount();
            int outputs = input.outputCount();
            double[] weights = design.finalWeights();
            int[] players = instance.players();
            OddTermAdjustment[] fits = new OddTermAdjustment[outputs];
            double[][] linears = new double[outputs][];
            boolean any = false;
            OddTermAdjustment.DrawGroups groups = null;
            double[][] ys = new double[outputs][];
            for (int k = 0; k < outputs; k++) {
                ys[k] = centredObservations(k);
                double delta = ys[k][weights.length];
                double[] y = Arrays.copyOf(ys[k], weights.length);
                linears[k] = new double[m];
                for (int i = 0; i < m; i++) {
                    linears[k][i] = plain.phi[k][players[i]];
                }
                // A two-class model's other probability (or any output that is a multiple of an
                // earlier one, Δ included) has the same terms, scaled: no second search.
                Multiple multiple = multipleOfEarlier(ys, k);
                if (multiple != null) {
                    fits[k] = fits[multiple.output()].scaled(multiple.scale());
                } else {
                    if (groups == null && plain.se != null && !sandwich) {
                        groups = drawGroups();
                    }
                    fits[k] = OddTermAdjustment.fit(design.masks, weights, y, delta, linears[k], groups,
                            instance.cancellation());
                }
                any |= !fits[k].isEmpty();
            }
            if (!any) {
                return plain;
            }
            double[][] phi = new double[outputs][];
            double[][] se = plain.se == null ? null : new double[outputs][];
            for (int k = 0; k < outputs; k++) {
                OddTermAdjustment fit = fits[k];
                phi[k] = fit.isEmpty() ? plain.phi[k] : instance.expand(fit.estimate());
                if (se == null) {
                    continue;
                }
                if (sandwich || fit.isEmpty() || fit.jackknife == null) {
                    // Under the sandwich, the plain regression's: at these budgets the entry test
                    // keeps few terms, and their own fit (its choice held fixed) gave standard errors half
                    // the adjusted estimate's actual error or less on a test game; the plain
                    // residuals still hold what the terms explain, and were within 0.8–1.3 of it
                    // on the bench's games. Likewise where a group's absence leaves a term's
                    // coefficient undetermined (no jackknife): the plain regression's keep what the
                    // terms explain, so they err on the wide side.
                    se[k] = plain.se[k];
                    continue;
                }
                double[][] jackknife = fit.jackknife;
                se[k] = new double[input.featureCount()];
                int g = design.groups;
                for (int i = 0; i < m; i++) {
                    double[] leftOut = new double[g];
                    for (int h = 0; h < g; h++) {
                        leftOut[h] = jackknife[h][i];
                    }
                    // the jackknife's spread is (g − 1)² times that of g independent estimates
                    se[k][players[i]] = (g - 1) * standardError(leftOut);
                }
            }
            return new Estimate(phi, se);
        }

        /** Output k's observations centred on v(∅), then its total Δ = v(full) − v(∅). */
        private double[] centredObservations(int k) {
            int n = design.masks.size();
            double[] out = new double[n + 1];
            for (int j = 0; j < n; j++) {
                out[j] = observations[j][k];
            }
            out[n] = instance.fullValue(k) - instance.emptyValue(k);
            return out;
        }

        /** The first output before k of which output k is a multiple (observations and Δ alike), or null. */
        private static Multiple multipleOfEarlier(double[][] ys, int k) {
            for (int e = 0; e < k; e++) {
                double scale = OddTermAdjustment.multiple(ys[e], ys[k]);
                if (!Double.isNaN(scale)) {
                    return new Multiple(e, scale);
                }
            }
            return null;
        }

        /** Each output's standard errors by the {@link StratifiedSandwich}, or null where it has none. */
        private double[][] sandwichErrors(double[][] phi) {
            int m = instance.playerCount();
            int[] players = instance.players();
            double[] weights = design.finalWeights();
            double[][] se = new double[phi.length][];
            double[][] ys = new double[phi.length][];
            for (int k = 0; k < phi.length; k++) {
                ys[k] = centredObservations(k);
                double delta = ys[k][weights.length];
                double[] y = Arrays.copyOf(ys[k], weights.length);
                // An output that is a multiple of an earlier one (a two-class model's other
                // probability) has that one's residuals scaled, and so its standard errors.
                Multiple multiple = multipleOfEarlier(ys, k);
                if (multiple != null) {
                    se[k] = se[multiple.output()].clone();
                    for (int f = 0; f < se[k].length; f++) {
                        se[k][f] *= Math.abs(multiple.scale());
                    }
                    continue;
                }
                double[] beta = new double[m];
                for (int i = 0; i < m; i++) {
                    beta[i] = phi[k][players[i]];
                }
                double[] perPlayer = StratifiedSandwich.standardErrors(design.masks, design.enumerated, weights, y,
                        delta, beta, instance.cancellation());
                if (perPlayer == null) {
                    return null;
                }
                se[k] = instance.expand(perPlayer);
            }
            return se;
        }

        /** The design's draw groups as the jackknife takes them (with the enumerated part, as {@link #estimate}). */
        private OddTermAdjustment.DrawGroups drawGroups() {
            int n = design.masks.size();
            int[][] parts = new int[n][];
            double[][] partWeights = new double[n][];
            for (int j = 0; j < n; j++) {
                if (j < design.enumerated) {
                    parts[j] = new int[] {0};
                    partWeights[j] = new double[] {design.enumeratedWeights.get(j)};
                } else {
                    int[] groups = design.drawGroups.get(j);
                    parts[j] = new int[groups.length];
                    for (int t = 0; t < groups.length; t++) {
                        parts[j][t] = 1 + groups[t];
                    }
                    partWeights[j] = design.drawCounts.get(j);
                }
            }
            return new OddTermAdjustment.DrawGroups(parts, partWeights, design.groupCounts, design.sampledMass);
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
            int[] players = instance.players();
            double[][] se = new double[phi.length][input.featureCount()];
            for (int k = 0; k < phi.length; k++) {
                for (int i = 0; i < players.length; i++) {
                    double[] perGroup = new double[g];
                    for (int h = 0; h < g; h++) {
                        perGroup[h] = sub[h][k][i];
                    }
                    se[k][players[i]] = standardError(perGroup);
                }
            }
            return new Estimate(phi, se);
        }

        /**
         * shap's l1_reg: per output, select features on every observation with the design's final
         * weights, then solve the constrained regression over the selected ones (the rest get 0).
         */
        private double[][] selectAndSolve() {
            int m = instance.playerCount();
            double[] weights = design.finalWeights();
            double[][] phi = new double[input.outputCount()][m];
            for (int k = 0; k < phi.length; k++) {
                double delta = instance.fullValue(k) - instance.emptyValue(k);
                double[] y = new double[weights.length];
                for (int j = 0; j < y.length; j++) {
                    y[j] = observations[j][k];
                }
                int[] selected = L1Selection.select(design.masks, weights, y, delta, params.l1(), instance.cancellation());
                if (selected.length == 1) {
                    phi[k][selected[0]] = delta;
                } else if (selected.length > 1) {
                    ConstrainedLeastSquares reduced = new ConstrainedLeastSquares(selected.length, new double[] {delta});
                    boolean[] z = new boolean[selected.length];
                    double[] target = new double[1];
                    for (int j = 0; j < y.length; j++) {
                        boolean[] full = design.masks.get(j);
                        for (int i = 0; i < selected.length; i++) {
                            z[i] = full[selected[i]];
                        }
                        target[0] = y[j];
                        reduced.add(z, weights[j], target);
                    }
                    double[] solved = reduced.solve()[0];
                    for (int i = 0; i < selected.length; i++) {
                        phi[k][selected[i]] = solved[i];
                    }
                }
            }
            return phi;
        }

        /** The enumerated part plus the first g groups, the draws rescaled to the sampled mass. */
        private ConstrainedLeastSquares combine(int g) {
            ConstrainedLeastSquares all = enumeratedPart.emptyCopy();
            all.addScaled(enumeratedPart, 1);
            if (g == design.groups && fullPart != null) {
                all.addScaled(fullPart, 1);
                return all;
            }
            double counts = 0;
            for (int h = 0; h < g; h++) {
                counts += design.groupCounts[h];
            }
            for (int h = 0; h < g; h++) {
                all.addScaled(groupParts[h], design.sampledMass / counts);
            }
            return all;
        }

        private double[][] expand(double[][] phi) {
            double[][] full = new double[phi.length][];
            for (int k = 0; k < phi.length; k++) {
                full[k] = instance.expand(phi[k]);
            }
            return full;
        }
    }

    /** The instance's explanations, one per output, from an estimate over {@code used} coalitions. */
    static Explanation[] explanations(ExplainInput input, CoalitionGame.Instance instance, Estimate e, int used,
                                      boolean exact, boolean converged) {
        Explanation[] out = new Explanation[input.outputCount()];
        long evaluations = (long) used * instance.rowsPerCoalition() + 1;
        for (int k = 0; k < out.length; k++) {
            out[k] = new Explanation(instance.index(), input.output(k), instance.emptyValue(k),
                    instance.fullValue(k), e.phi[k], e.se == null ? null : e.se[k],
                    new Diagnostics(evaluations, used, exact, instance.playerCount(),
                            instance.elapsedSeconds(), converged, null));
        }
        return out;
    }

    /** Output {@code output}'s observations and Δ times {@code scale} are another output's. */
    record Multiple(int output, double scale) {
    }

    /** The standard error of the mean of g draw groups' estimates, from their spread. */
    static double standardError(double[] perGroup) {
        int g = perGroup.length;
        double mean = 0;
        for (double v : perGroup) {
            mean += v;
        }
        mean /= g;
        double ss = 0;
        for (double v : perGroup) {
            ss += (v - mean) * (v - mean);
        }
        return Math.sqrt(ss / (g - 1) / g);
    }

    record Estimate(double[][] phi, double[][] se) {
        double maxError() {
            double max = 0;
            for (double[] row : se) {
                for (double s : row) {
                    max = Math.max(max, s);
                }
            }
            return max;
        }
    }
}
