package dev.prism.explain;

import dev.prism.linalg.Cancellation;
import dev.prism.model.Background;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.NeededOutputs;
import dev.prism.runner.RequestContext;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.RowSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The cooperative game every perturbation explainer plays: the value of a coalition of players
 * (feature groups) is v(z) = link(Σ_k π_k f(x_z, r_k)), the model averaged over the replacement
 * rows with the coalition's elements taken from the instance. Each instance's {@link Plan} asks for
 * coalitions and receives their values; the game streams them through a {@link RowStream} in
 * chunks of a fixed number of rows, several instances at once, so the scheduler always has full
 * batches whatever the per-instance size. Chunking never depends on the scheduler's batch size, and
 * results do not either.
 *
 * <p>Under a time budget the plans hand out their coalitions in stages, by turns (see
 * {@link Turns}), so that every instance has an estimate early instead of the first ones finishing
 * while the last have not started; when it runs out, each answers with its estimate of that moment.
 */
public final class CoalitionGame {
    /** Model rows per submitted chunk (at least one coalition). */
    static final int CHUNK_ROWS = 16_384;
    /** Model rows in flight per request. */
    static final int MAX_ROWS_IN_FLIGHT = 4 * CHUNK_ROWS;
    /** Instances whose plans run at the same time. */
    static final int MAX_ACTIVE_INSTANCES = 4096;
    /** Under a time budget: what the designs that instances keep between their turns may hold. */
    public static final long TURN_WINDOW_BYTES = 64L << 20;

    private final ExplainInput input;
    private final BatchRunner runner;
    private final ProgressSink progress;
    private final RequestContext context;
    private final TimeBudget budget;
    private final Background background;
    private final int width;
    private final long turnWindowBytes;
    private double[] fx;
    /** Σ π f(r) per score column, per instance: [instance * width + column]. */
    private double[] empty;
    private long total;
    /** The plans running, in instance order. */
    private final List<Active> active = new ArrayList<>();
    /** Instances whose plans have been started (the first ones). */
    private int started;
    /** Under a time budget: who hands out coalitions next; null without one. */
    private Turns turns;

    /**
     * Bytes a game holds at its peak besides its input: the rows in flight with their outputs, the
     * per-instance sums, and the state of the plans running at once, each {@code perInstance} bytes
     * for {@code coalitionsPerInstance} coalitions.
     */
    public static long workingBytes(ExplainInput input, int outputWidth, long coalitionsPerInstance,
                                    long perInstance) {
        long n = input.instances().rows();
        long rowsPerInstance = Math.max(1, coalitionsPerInstance * input.background().size());
        long active = Math.min(Math.min(n, MAX_ACTIVE_INSTANCES), MAX_ROWS_IN_FLIGHT / rowsPerInstance + 2);
        return inFlightBytes(outputWidth) + sums(n, outputWidth) + active * perInstance;
    }

    /**
     * {@link #workingBytes} under a time budget, for plans that keep their whole state between their
     * turns (they do not park): every instance starts before any finishes, so every plan is held.
     */
    public static long workingBytesInTurns(ExplainInput input, int outputWidth, long perInstance) {
        long n = input.instances().rows();
        return inFlightBytes(outputWidth) + sums(n, outputWidth) + n * perInstance;
    }

    /** The rows in flight with their outputs (and a coalition's reference per row). */
    private static long inFlightBytes(int outputWidth) {
        return RowStream.bytesInFlight(MAX_ROWS_IN_FLIGHT, outputWidth, 2);
    }

    private static long sums(long instances, int outputWidth) {
        return 2 * instances * outputWidth * Double.BYTES;
    }

    /**
     * @param budget where the game stops with every instance's estimate of that moment;
     *               {@link TimeBudget#NONE} for explainers that have none before their end
     */
    public CoalitionGame(ExplainInput input, BatchRunner runner, ProgressSink progress, RequestContext context,
                         TimeBudget budget) {
        this(input, runner, progress, context, budget, TURN_WINDOW_BYTES);
    }

    /** With another bound on the designs instances keep between their turns under a time budget. */
    public CoalitionGame(ExplainInput input, BatchRunner runner, ProgressSink progress, RequestContext context,
                         TimeBudget budget, long turnWindowBytes) {
        this.turnWindowBytes = turnWindowBytes;
        this.input = input;
        this.runner = runner;
        this.progress = progress;
        this.context = context;
        this.budget = budget;
        this.background = input.background();
        this.width = runner.outputWidth();
    }

    /** One instance as its plan sees it. */
    public final class Instance {
        private final int index;
        private final double[] x;
        private final int[] players;
        private final long started = System.nanoTime();

        Instance(int index) {
            this.index = index;
            this.x = input.instances().row(index);
            this.players = varyingGroups(x, background.rows(), input.groups());
        }

        public int index() {
            return index;
        }

        /** The groups that vary from the replacement rows, in coalition order: the players. */
        public int[] players() {
            return players.clone();
        }

        public int playerCount() {
            return players.length;
        }

        /** The instance, flattened. */
        public double[] x() {
            return x.clone();
        }

        /** v(all players): link(f(x)) for output position k. */
        public double fullValue(int k) {
            return input.link().apply(fx[index * width + input.output(k)]);
        }

        /**
         * v(no player) for output position k: link(Σ π f(r)), with the elements that belong to no
         * group kept at the instance's values (as in every other coalition).
         */
        public double emptyValue(int k) {
            return input.link().apply(empty[index * width + input.output(k)]);
        }

        /** Model rows one coalition costs. */
        public int rowsPerCoalition() {
            return background.size();
        }

        /** For the instance's solvers to ask between iterations: throws once the request is cancelled. */
        public Cancellation cancellation() {
            return context::throwIfCancelled;
        }

        /** Seconds since the instance started. */
        public double elapsedSeconds() {
            return (System.nanoTime() - started) / 1e9;
        }

        /**
         * Spreads values over the players to every feature of the explanation (0 for features that
         * do not vary).
         */
        public double[] expand(double[] perPlayer) {
            double[] full = new double[input.featureCount()];
            for (int p = 0; p < players.length; p++) {
                full[players[p]] = perPlayer[p];
            }
            return full;
        }

        CoalitionMasker masker() {
            return new CoalitionMasker(x, background.rows(), input.groups().membersOf(players),
                    input.groups().ungrouped());
        }
    }

    /** How one instance chooses coalitions and turns their values into an explanation. */
    public interface Plan {
        /**
         * Up to {@code max} coalitions (boolean over the instance's players) to evaluate next; empty
         * when none is ready now. Values come back through {@link #absorb} in the order asked for.
         */
        List<boolean[]> next(int max);

        /** Values of the next coalitions handed out, [coalition][output position], in link space. */
        void absorb(List<boolean[]> coalitions, double[][] values);

        /** True once the plan wants nothing more and everything it asked for has been absorbed. */
        boolean done();

        /** Coalitions the plan expects to evaluate in all, for progress; may change. */
        long expectedCoalitions();

        /**
         * The request's time budget has run out: publish the current estimate and stop. False when
         * the plan has no estimate to give (then the request fails with DEADLINE_EXCEEDED).
         */
        default boolean timeUp() {
            return false;
        }

        /**
         * Under a time budget {@link #next} hands out one stage at a time and returns nothing once it
         * is handed out; this opens the next stage, when the plan's turn comes again. False when the
         * plan has handed out everything. Plans without stages hand out everything in their first.
         */
        default boolean nextStage() {
            return false;
        }

        /** Bytes the plan holds between its stages unless parked: what the turn window counts. */
        default long residentBytes() {
            return 0;
        }

        /**
         * The plan waits outside the turn window: it keeps only what its stage in flight and its
         * estimate need, and rebuilds the rest in its next stage.
         */
        default void park() {
        }
    }

    /** Starts one instance's plan; null when the instance needs no coalitions. */
    @FunctionalInterface
    public interface Planner {
        Plan start(Instance instance);
    }

    /**
     * Evaluates the instances and the replacement rows, then runs a plan per instance until all
     * are done, or until the time budget runs out (every instance then answers with its estimate of
     * that moment, see {@link Plan#timeUp}). A game is played once.
     *
     * @param coalitionsPerInstance the expected coalitions of one instance, for the first progress total
     */
    public void play(Planner planner, long coalitionsPerInstance) {
        int n = input.instances().rows();
        int emptyRows = input.groups().ungrouped().length == 0 ? background.size() : n * background.size();
        total = n + emptyRows + n * coalitionsPerInstance * background.size();
        progress.total(total);
        RowStream stream = new RowStream(runner, progress, context, budget, MAX_ROWS_IN_FLIGHT);
        evaluateInstancesAndReplacements(stream);
        turns = budget.limited() ? new Turns(planner, coalitionsPerInstance) : null;
        boolean done = stream.run(new RowStream.Chunks() {
            @Override
            public RowStream.Chunk next() {
                return turns != null ? turns.assemble() : assemble(planner, coalitionsPerInstance);
            }

            @Override
            public boolean done() {
                return active.isEmpty() && started == n;
            }
        });
        if (!done) {
            stopAtTimeBudget();
        }
    }

    /**
     * The time budget ran out with work left: every started instance answers with its current
     * estimate (rows still in flight are abandoned; the request's end drops them from the queue).
     */
    private void stopAtTimeBudget() {
        int n = input.instances().rows();
        int without = n - started;
        int first = without > 0 ? started : n;
        for (Active a : active) {
            if (!a.plan.timeUp()) {
                without++;
                first = Math.min(first, a.instance.index());
            }
        }
        if (without > 0) {
            throw TimeBudget.tooShort(without, n, first);
        }
        budget.markPartial();
    }

    /**
     * One chunk of up to {@link #CHUNK_ROWS} rows: coalitions of the active plans in instance order,
     * then of newly started instances, so that many small instances share a model call. Null when no
     * plan has anything to evaluate now.
     */
    private Chunk assemble(Planner planner, long coalitionsPerInstance) {
        int capacity = Math.max(1, CHUNK_ROWS / background.size());
        List<Piece> pieces = new ArrayList<>();
        for (Active a : active) {
            if (capacity == 0) {
                break;
            }
            capacity -= take(a, capacity, pieces);
        }
        int n = input.instances().rows();
        while (capacity > 0 && started < n && active.size() < MAX_ACTIVE_INSTANCES) {
            Active a = begin(started++, planner, coalitionsPerInstance);
            if (a != null) {
                capacity -= take(a, capacity, pieces);
            }
        }
        return pieces.isEmpty() ? null : new Chunk(pieces);
    }

    /** The values of a chunk's coalitions, handed to their plans in the order they asked. */
    private void absorb(Chunk chunk, RowBlock out) {
        int from = 0;
        for (Piece piece : chunk.pieces) {
            int count = piece.coalitions.size();
            piece.owner.plan.absorb(piece.coalitions, values(out, from, count));
            from += count;
            long expected = piece.owner.plan.expectedCoalitions();
            if (expected != piece.owner.expected) {
                revise((expected - piece.owner.expected) * background.size());
                piece.owner.expected = expected;
            }
            if (piece.owner.plan.done()) {
                active.remove(piece.owner);
                if (turns != null) {
                    turns.finished(piece.owner);
                }
            }
        }
    }

    /**
     * Who hands out coalitions under a time budget: every instance's first stage, in instance
     * order, before anyone's second; then one stage per turn, round-robin over the instances in the
     * turn window. The window holds the plans whose designs fit in the turn window's bytes (at least
     * one plan); the others are parked after their first stage, keeping their estimate, and join the
     * window in instance order as plans in it finish. So the designs held at once stay bounded however
     * many instances wait, and each waiting one costs a rebuild of its design when it joins.
     */
    private final class Turns {
        private final Planner planner;
        private final long coalitionsPerInstance;
        /** Window plans waiting for their next turn, in turn order. */
        private final ArrayDeque<Active> queue = new ArrayDeque<>();
        /** Plans outside the window, in instance order (finished ones are skipped). */
        private final ArrayDeque<Active> parked = new ArrayDeque<>();
        private int windowPlans;
        private long windowBytes;
        /** The plan handing out its stage, across chunks; null between turns. */
        private Active current;

        Turns(Planner planner, long coalitionsPerInstance) {
            this.planner = planner;
            this.coalitionsPerInstance = coalitionsPerInstance;
        }

        Chunk assemble() {
            int capacity = Math.max(1, CHUNK_ROWS / background.size());
            List<Piece> pieces = new ArrayList<>();
            while (capacity > 0) {
                if (current == null) {
                    current = nextTurn();
                    if (current == null) {
                        break;
                    }
                }
                int taken = take(current, capacity, pieces);
                capacity -= taken;
                if (taken == 0) {
                    endTurn(current);
                    current = null;
                }
            }
            return pieces.isEmpty() ? null : new Chunk(pieces);
        }

        /** A new instance's first stage while any has not started, else the next window plan's next stage. */
        private Active nextTurn() {
            int n = input.instances().rows();
            while (started < n) {
                Active a = begin(started++, planner, coalitionsPerInstance);
                if (a != null) {
                    a.bytes = a.plan.residentBytes();
                    if (fits(a)) {
                        join(a);
                    }
                    return a;
                }
            }
            admitParked();
            while (!queue.isEmpty()) {
                Active a = queue.poll();
                if (!a.finished && a.plan.nextStage()) {
                    return a;
                }
            }
            return null;
        }

        /** The plan's stage is handed out: its next turn comes after the others', or it waits parked. */
        private void endTurn(Active a) {
            if (a.finished) {
                return;
            }
            if (a.inWindow) {
                queue.add(a);
            } else {
                a.plan.park();
                parked.add(a);
            }
        }

        /** The plan is done: its place in the window goes to parked plans. */
        void finished(Active a) {
            a.finished = true;
            if (a.inWindow) {
                a.inWindow = false;
                windowPlans--;
                windowBytes -= a.bytes;
            }
            admitParked();
        }

        private void admitParked() {
            while (!parked.isEmpty() && (parked.peek().finished || fits(parked.peek()))) {
                Active a = parked.poll();
                if (!a.finished) {
                    join(a);
                    queue.add(a);
                }
            }
        }

        private boolean fits(Active a) {
            return windowPlans == 0 || windowBytes + a.bytes <= turnWindowBytes;
        }

        private void join(Active a) {
            a.inWindow = true;
            windowPlans++;
            windowBytes += a.bytes;
        }
    }

    /**
     * Starts the instance's plan, trading its share of the first progress total for the plan's own
     * expectation; null when the instance needs no coalitions.
     */
    private Active begin(int index, Planner planner, long coalitionsPerInstance) {
        Instance instance = new Instance(index);
        Plan plan = planner.start(instance);
        revise(-coalitionsPerInstance * background.size());
        if (plan == null) {
            return null;
        }
        Active a = new Active(instance, plan);
        revise(a.expected * background.size());
        active.add(a);
        return a;
    }

    private static int take(Active a, int capacity, List<Piece> pieces) {
        List<boolean[]> coalitions = a.plan.next(capacity);
        if (coalitions.isEmpty()) {
            return 0;
        }
        pieces.add(new Piece(a, coalitions));
        return coalitions.size();
    }

    private void revise(long delta) {
        if (delta != 0) {
            total += delta;
            progress.total(total);
        }
    }

    /** Coalition values of {@code coalitions} coalitions whose rows start at coalition {@code from} of out. */
    private double[][] values(RowBlock out, int from, int coalitions) {
        int n = background.size();
        double[][] v = new double[coalitions][input.outputCount()];
        for (int j = 0; j < coalitions; j++) {
            int base = (from + j) * n;
            for (int k = 0; k < v[j].length; k++) {
                int column = input.output(k);
                double ey = 0;
                for (int b = 0; b < n; b++) {
                    ey += background.weight(b) * out.get(base + b, column);
                }
                v[j][k] = input.link().apply(ey);
            }
        }
        return v;
    }

    /**
     * f(x) for every instance, and v(∅): the replacement rows once when every element belongs to a
     * group, else each instance's empty coalition (its ungrouped elements kept).
     */
    private void evaluateInstancesAndReplacements(RowStream stream) {
        RowBlock x = input.instances();
        RowBlock bg = background.rows();
        int n = x.rows();
        boolean shared = input.groups().ungrouped().length == 0;
        int emptyRows = shared ? bg.rows() : n * bg.rows();
        double[] rows = Arrays.copyOf(x.data(), x.data().length + emptyRows * x.width());
        if (shared) {
            System.arraycopy(bg.data(), 0, rows, x.data().length, bg.data().length);
        } else {
            List<boolean[]> none = List.of(new boolean[0]);
            for (int i = 0; i < n; i++) {
                new CoalitionMasker(x.row(i), bg, new int[0][], input.groups().ungrouped()).rows(none, 0, 1)
                        .copyRows(0, bg.rows(), rows, (n + i * bg.rows()) * x.width());
            }
        }
        RowBlock out = stream.evaluate(new RowBlock(n + emptyRows, x.width(), rows),
                NeededOutputs.scoreColumns(input.outputs(), row -> describeFirst(row, n, shared)));
        fx = Arrays.copyOf(out.data(), n * width);
        empty = new double[n * width];
        for (int i = 0; i < n; i++) {
            int first = n + (shared ? 0 : i * bg.rows());
            for (int k = 0; k < bg.rows(); k++) {
                double w = background.weight(k);
                for (int c = 0; c < width; c++) {
                    empty[i * width + c] += w * out.get(first + k, c);
                }
            }
        }
    }

    /** What row {@code row} of the first evaluation is: an instance, or a replacement row masking it. */
    private String describeFirst(int row, int instances, boolean shared) {
        if (row < instances) {
            return "instance " + row + " itself";
        }
        int k = row - instances;
        int size = background.size();
        return shared ? "background row " + k + " (every feature masked)"
                : "instance " + k / size + " with every feature masked by background row " + k % size;
    }

    private final class Active {
        final Instance instance;
        final Plan plan;
        final CoalitionMasker masker;
        long expected;
        /** Under a time budget: the plan's resident bytes, whether it is in the turn window, whether it is done. */
        long bytes;
        boolean inWindow;
        boolean finished;

        Active(Instance instance, Plan plan) {
            this.instance = instance;
            this.plan = plan;
            this.masker = instance.masker();
            this.expected = plan.expectedCoalitions();
        }
    }

    private record Piece(Active owner, List<boolean[]> coalitions) {}

    /** Coalitions of one or more plans, one after another, with their rows. */
    private final class Chunk implements RowStream.Chunk {
        final List<Piece> pieces;
        final RowSource rows;

        Chunk(List<Piece> pieces) {
            this.pieces = pieces;
            List<RowSource> sources = new ArrayList<>(pieces.size());
            for (Piece p : pieces) {
                sources.add(p.owner.masker.rows(p.coalitions, 0, p.coalitions.size()));
            }
            this.rows = sources.size() == 1 ? sources.get(0) : new ConcatenatedRows(sources);
        }

        @Override
        public RowSource rows() {
            return rows;
        }

        @Override
        public NeededOutputs needed() {
            return NeededOutputs.scoreColumns(input.outputs(), this::describe);
        }

        @Override
        public void absorb(RowBlock out) {
            CoalitionGame.this.absorb(this, out);
        }

        /** What row {@code row} of the chunk is, for an error message. */
        private String describe(int row) {
            int n = background.size();
            int coalition = row / n;
            for (Piece piece : pieces) {
                if (coalition < piece.coalitions.size()) {
                    boolean[] z = piece.coalitions.get(coalition);
                    int kept = 0;
                    for (boolean b : z) {
                        kept += b ? 1 : 0;
                    }
                    return "instance " + piece.owner.instance.index() + ", a perturbed row (" + kept + " of "
                            + z.length + " features kept, the rest from background row " + row % n + ")";
                }
                coalition -= piece.coalitions.size();
            }
            throw new IllegalArgumentException("row " + row + " is past the chunk");
        }
    }

    /** Several row sources one after another. */
    private static final class ConcatenatedRows implements RowSource {
        private final List<RowSource> parts;
        private final int[] starts;
        private final int rows;

        ConcatenatedRows(List<RowSource> parts) {
            this.parts = parts;
            this.starts = new int[parts.size()];
            int at = 0;
            for (int i = 0; i < parts.size(); i++) {
                starts[i] = at;
                at += parts.get(i).rows();
            }
            this.rows = at;
        }

        @Override
        public int rows() {
            return rows;
        }

        @Override
        public int width() {
            return parts.get(0).width();
        }

        @Override
        public void copyRows(int from, int count, double[] dest, int offset) {
            copy(from, count, (part, partFrom, n, done) -> part.copyRows(partFrom, n, dest, offset + done * width()));
        }

        @Override
        public void copyRows(int from, int count, float[] dest, int offset) {
            copy(from, count, (part, partFrom, n, done) -> part.copyRows(partFrom, n, dest, offset + done * width()));
        }

        private interface PartCopy {
            void copy(RowSource part, int partFrom, int count, int done);
        }

        private void copy(int from, int count, PartCopy copy) {
            int i = Arrays.binarySearch(starts, from);
            if (i < 0) {
                i = -i - 2;
            }
            int done = 0;
            while (done < count) {
                RowSource part = parts.get(i);
                int partFrom = from + done - starts[i];
                int n = Math.min(count - done, part.rows() - partFrom);
                copy.copy(part, partFrom, n, done);
                done += n;
                i++;
            }
        }
    }

    /**
     * Groups with an element that differs from some replacement row (numpy's isclose tolerances with
     * equal_nan, as shap: a missing value equals a missing value and differs from any number); the
     * others cannot change the model's output and are not players.
     */
    static int[] varyingGroups(double[] x, RowBlock replacement, FeatureGroups groups) {
        List<Integer> varying = new ArrayList<>();
        for (int g = 0; g < groups.count(); g++) {
            if (varies(x, replacement, groups.members(g))) {
                varying.add(g);
            }
        }
        return varying.stream().mapToInt(Integer::intValue).toArray();
    }

    private static boolean varies(double[] x, RowBlock replacement, int[] elements) {
        for (int c : elements) {
            for (int k = 0; k < replacement.rows(); k++) {
                double b = replacement.get(k, c);
                boolean same = Double.isNaN(x[c]) || Double.isNaN(b) ? Double.isNaN(x[c]) && Double.isNaN(b)
                        : Math.abs(x[c] - b) <= 1e-8 + 1e-5 * Math.abs(b);
                if (!same) {
                    return true;
                }
            }
        }
        return false;
    }
}
