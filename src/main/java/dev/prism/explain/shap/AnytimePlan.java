package dev.prism.explain.shap;

import dev.prism.explain.CoalitionGame;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explanation;
import dev.prism.explain.ProgressSink;
import dev.prism.linalg.ConstrainedLeastSquares;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One instance's KernelSHAP under a time budget: its design evaluated in the order of an
 * {@link AnytimeLayout}, in stages the game hands out in turns with the other instances (the base
 * and two groups, then a group at a time). Each completed group is solved once with the base for
 * its sub-estimate and added to a running sum, so the estimate of the moment and its standard
 * errors cost one solve. The values are kept by evaluation position; once all are in, they go to a
 * {@link KernelShapExplainer.Plan} in the design's order, which gives the answer without a budget
 * bit for bit.
 *
 * <p>Parked between turns, the plan drops its design and layout and keeps the values and the
 * coalitions of groups still in flight; once these are in it also drops its sums (M² each) for the
 * estimate they give. Its next stage rebuilds the design and layout from the seed and the sums from
 * the values, in the same order, so its estimates are those it would have had unparked.
 */
final class AnytimePlan implements CoalitionGame.Plan {
    /** Where the final solve runs, beside the request's thread. */
    private final Solvers solvers;
    private final ExplainInput input;
    private final KernelShapParams params;
    private final CoalitionGame.Instance instance;
    private final ProgressSink progress;
    private final Explanation[][] results;
    private final int outputs;
    private final int total;
    private final int stages;
    private CoalitionDesign design;
    private AnytimeLayout layout;
    /** Values (link space) by evaluation position, [position * outputs + k]. */
    private double[] values;
    /** The base, then the groups of the stages handed out whose values are not all in yet. */
    private final ArrayDeque<Group> pending = new ArrayDeque<>();
    private final double[] totals;
    /** The base's and the completed groups' regression parts; null while parked with nothing in flight. */
    private ConstrainedLeastSquares base;
    private ConstrainedLeastSquares groupSum;
    /** While the sums are dropped: the estimate they gave. */
    private KernelShapExplainer.Estimate parkedEstimate;
    /** Each completed group's sub-estimate with the base, [group][output][player]. */
    private final List<double[][]> subEstimates = new ArrayList<>();
    private int stage;
    private int stageEnd;
    private int submitted;
    private int absorbed;
    private boolean stopped;
    private boolean finished;

    private AnytimePlan(ExplainInput input, KernelShapParams params, CoalitionGame.Instance instance,
                        ProgressSink progress, Explanation[][] results, CoalitionDesign design, AnytimeLayout layout,
                        Solvers solvers) {
        this.input = input;
        this.solvers = solvers;
        this.params = params;
        this.instance = instance;
        this.progress = progress;
        this.results = results;
        this.outputs = input.outputCount();
        this.design = design;
        this.layout = layout;
        this.total = design.masks.size();
        this.stages = layout.stages();
        this.totals = new double[outputs];
        for (int k = 0; k < outputs; k++) {
            totals[k] = instance.fullValue(k) - instance.emptyValue(k);
        }
        this.base = new ConstrainedLeastSquares(instance.playerCount(), totals);
        this.groupSum = base.emptyCopy();
        pending.add(baseEntries());
        pending.add(groupEntries(0));
        pending.add(groupEntries(1));
        this.stageEnd = layout.stageEnd(0);
        this.values = new double[stageEnd * outputs];
    }

    /**
     * The instance's plan under a time budget: an anytime plan, or the design's own plan when the
     * design has no layout (exact, or too few coalitions for two groups: only its end is an estimate).
     */
    static CoalitionGame.Plan start(ExplainInput input, KernelShapParams params, CoalitionGame.Instance instance,
                                    ProgressSink progress, Explanation[][] results, Solvers solvers) {
        CoalitionDesign design = KernelShapExplainer.design(input, params, instance, true);
        AnytimeLayout layout = AnytimeLayout.of(design, layoutRandom(input, instance));
        if (layout == null) {
            return new KernelShapExplainer.Plan(input, params, instance, design, progress, results, solvers);
        }
        return new AnytimePlan(input, params, instance, progress, results, design, layout, solvers);
    }

    private static SplittableRandom layoutRandom(ExplainInput input, CoalitionGame.Instance instance) {
        return new SplittableRandom((input.seed() * 0x9E3779B97F4A7C15L + instance.index()) ^ 0x6A09E667F3BCC909L);
    }

    /** Rebuilds the design and its layout after parking: the same seed gives the same ones. */
    private void ensureDesign() {
        if (design == null) {
            design = KernelShapExplainer.design(input, params, instance, true);
            layout = AnytimeLayout.of(design, layoutRandom(input, instance));
            if (design.masks.size() != total || layout == null || layout.stages() != stages) {
                throw new IllegalStateException("a rebuilt design differs from the first");
            }
        }
    }

    @Override
    public List<boolean[]> next(int max) {
        if (stopped || submitted == stageEnd) {
            return List.of();
        }
        int to = Math.min(stageEnd, submitted + max);
        // A copy: coalitions in flight must not keep the whole design alive once it is parked.
        List<boolean[]> out = new ArrayList<>(to - submitted);
        for (int p = submitted; p < to; p++) {
            out.add(design.masks.get(layout.order[p]));
        }
        submitted = to;
        return out;
    }

    @Override
    public boolean nextStage() {
        if (stopped || finished || stage + 1 >= stages) {
            return false;
        }
        ensureDesign();
        if (base == null) {
            restoreSums();
        }
        stage++;
        pending.add(groupEntries(stage + 1));
        stageEnd = layout.stageEnd(stage);
        if (values.length < total * outputs) {
            values = Arrays.copyOf(values, total * outputs); // in the turn window: room for every value
        }
        return true;
    }

    @Override
    public void park() {
        if (stage + 1 < stages) { // the last stage keeps its design for the final solve
            design = null;
            layout = null;
            dropSumsIfIdle();
        }
    }

    /** Parked with every value in: keep the estimate instead of the sums. */
    private void dropSumsIfIdle() {
        if (design == null && base != null && pending.isEmpty() && absorbed == submitted && !stopped) {
            parkedEstimate = estimate();
            base = null;
            groupSum = null;
        }
    }

    /** The sums again from the values, added in the order they first were. */
    private void restoreSums() {
        base = new ConstrainedLeastSquares(instance.playerCount(), totals);
        groupSum = base.emptyCopy();
        add(baseEntries(), false);
        for (int g = 0; g < subEstimates.size(); g++) {
            add(groupEntries(g), false);
        }
        parkedEstimate = null;
    }

    @Override
    public long residentBytes() {
        int m = instance.playerCount();
        // Per coalition: its mask (array header and a byte per player), its draw groups, counts and
        // weights in the design, its place and weights in the layout, and its values.
        long perCoalition = 16 + ((m + 7) & ~7) + 120 + 16L + 8L * outputs;
        long parts = 3L * (m - 1) * (m - 1 + outputs) * Double.BYTES;
        return total * perCoalition + parts + (long) (stages + 1) * outputs * m * Double.BYTES;
    }

    @Override
    public void absorb(List<boolean[]> coalitions, double[][] v) {
        for (double[] row : v) {
            System.arraycopy(row, 0, values, absorbed * outputs, outputs);
            absorbed++;
        }
        if (stopped) {
            return;
        }
        int before = subEstimates.size();
        while (!pending.isEmpty() && absorbed >= pending.peek().readyAt) {
            add(pending.poll(), true);
        }
        if (absorbed == total) {
            finish();
            return;
        }
        if (subEstimates.size() > before) {
            afterGroups();
        }
        dropSumsIfIdle();
    }

    /** After each further completed group (two at least): report, and stop if tight enough. */
    private void afterGroups() {
        boolean wanted = progress.wantsEstimates() || params.tolerance() > 0;
        if (subEstimates.size() < 2 || !wanted) {
            return;
        }
        KernelShapExplainer.Estimate e = estimate();
        if (progress.wantsEstimates()) {
            for (int k = 0; k < outputs; k++) {
                progress.estimate(instance.index(), input.output(k), e.phi()[k], e.se()[k]);
            }
        }
        if (params.tolerance() > 0 && e.maxError() <= params.tolerance()) {
            stopped = true;
            publish(e, true);
        }
    }

    @Override
    public boolean done() {
        return absorbed == submitted && (stopped || finished);
    }

    @Override
    public boolean timeUp() {
        if (stopped || finished) {
            return true;
        }
        if (subEstimates.size() < 2) {
            return false;
        }
        stopped = true;
        publish(base == null ? parkedEstimate : estimate(), false);
        return true;
    }

    @Override
    public long expectedCoalitions() {
        return stopped ? submitted : total;
    }

    /** All values are in: the design's own plan solves them in its order. */
    private void finish() {
        ensureDesign();
        double[][] byMask = new double[total][];
        for (int p = 0; p < total; p++) {
            byMask[layout.order[p]] = Arrays.copyOfRange(values, p * outputs, (p + 1) * outputs);
        }
        values = null;
        new KernelShapExplainer.Plan(input, params, instance, design, progress, results, solvers)
                .absorb(design.masks, byMask);
        finished = true;
    }

    private void publish(KernelShapExplainer.Estimate e, boolean converged) {
        results[instance.index()] = KernelShapExplainer.explanations(input, instance, e, absorbed, false, converged);
    }

    /** The base plus the mean of the completed groups, with standard errors from their spread. */
    private KernelShapExplainer.Estimate estimate() {
        int g = subEstimates.size();
        ConstrainedLeastSquares all = base.emptyCopy();
        all.addScaled(base, 1);
        all.addScaled(groupSum, 1.0 / g);
        double[][] phi = expand(all.solve());
        int[] players = instance.players();
        double[][] se = new double[outputs][input.featureCount()];
        for (int k = 0; k < outputs; k++) {
            for (int i = 0; i < players.length; i++) {
                double mean = 0;
                for (double[][] sub : subEstimates) {
                    mean += sub[k][i];
                }
                mean /= g;
                double ss = 0;
                for (double[][] sub : subEstimates) {
                    double d = sub[k][i] - mean;
                    ss += d * d;
                }
                se[k][players[i]] = Math.sqrt(ss / (g - 1) / g);
            }
        }
        return new KernelShapExplainer.Estimate(phi, se);
    }

    private double[][] expand(double[][] phi) {
        double[][] full = new double[phi.length][];
        for (int k = 0; k < phi.length; k++) {
            full[k] = instance.expand(phi[k]);
        }
        return full;
    }

    /**
     * Adds a group whose values are all in: the base into its part, any other into the sum of
     * groups and, when {@code solve}, as a sub-estimate.
     */
    private void add(Group group, boolean solve) {
        ConstrainedLeastSquares part = group.isBase ? base : base.emptyCopy();
        double[] y = new double[outputs];
        for (int e = 0; e < group.positions.length; e++) {
            int p = group.positions[e];
            for (int k = 0; k < outputs; k++) {
                y[k] = values[p * outputs + k] - instance.emptyValue(k);
            }
            part.add(group.masks[e], group.weights[e], y);
        }
        if (group.isBase) {
            return;
        }
        if (solve) {
            ConstrainedLeastSquares sub = base.emptyCopy();
            sub.addScaled(base, 1);
            sub.addScaled(part, 1);
            subEstimates.add(sub.solve());
        }
        groupSum.addScaled(part, 1);
    }

    private Group baseEntries() {
        int n = layout.base;
        int[] positions = new int[n];
        boolean[][] masks = new boolean[n][];
        for (int p = 0; p < n; p++) {
            positions[p] = p;
            masks[p] = design.masks.get(layout.order[p]);
        }
        return new Group(true, n, positions, masks, layout.baseWeights.clone());
    }

    private Group groupEntries(int g) {
        int from = layout.entryStart[g];
        int n = layout.entryStart[g + 1] - from;
        int[] positions = Arrays.copyOfRange(layout.entryPosition, from, from + n);
        boolean[][] masks = new boolean[n][];
        for (int e = 0; e < n; e++) {
            masks[e] = design.masks.get(layout.order[positions[e]]);
        }
        return new Group(false, layout.readyAt[g], positions, masks,
                Arrays.copyOfRange(layout.entryWeight, from, from + n));
    }

    /**
     * A group's entries, self-contained so that it outlives a parked design: its coalitions, their
     * evaluation positions and weights, and the positions needed before it is complete.
     */
    private record Group(boolean isBase, int readyAt, int[] positions, boolean[][] masks, double[] weights) {}
}
