package dev.prism.explain.shap;

import dev.prism.linalg.Cancellation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Chooses a Leverage design's sampled pairs by kernel herding, so that the design's weighted second
 * moments match the Shapley kernel's far better than independent draws do. A coalition z is coded
 * as s = 2z − 1 ∈ {±1}^M; its complement is −s, so a pair adds w·s·sᵀ to the design's moment matrix
 * S = Σ w s sᵀ (w the Horvitz–Thompson weight of its size). Pairs are chosen one at a time, the
 * size classes interleaved in random order; each time {@link #CANDIDATES} distinct unchosen pairs of
 * the class are drawn uniformly and the one with the smallest sᵀSs is kept: the one whose order-2
 * parities (s_a·s_b, a ≠ b) cancel most of those the design already holds. That is greedy herding
 * under the kernel K(z, z') = Σ_{|U|=2} χ_U(z)χ_U(z'). The target's share of the score,
 * E_{z'}[K(z, z')] under the kernel, is the same for every coalition of a size, so comparing within
 * a class needs no target; enumerated classes add that same constant and are left out. In small
 * designs (below {@link #SWAPPED_BELOW}·M coalitions) the kept candidate is then improved by
 * swapping players, while a swap lowers its score.
 *
 * <p>Why order 2: under pairing the error of the regression comes from the odd part of the game
 * beyond its linear part, and an odd term T moves player i's estimate through the design's sum of
 * the parity of T Δ {i}. For the triples that dominate most games those are parities of order 2
 * (i ∈ T) and 4; matching order 2 halved the error of plain Leverage SHAP at 4·M–8·M on the
 * bench's six games, and adding order 4 or 6 to the kernel did worse (it spends the balance a
 * few points can hold on terms that matter less).
 *
 * <p>Every step is the same for every relabelling of the players and the candidates are uniform,
 * so each coalition of a size keeps the same inclusion probability as under uniform draws and the
 * Horvitz–Thompson weights stay right. The work is about pairs × candidates × k² for coalitions of
 * k players on their smaller side; above {@link #MAX_WORK} the candidates are cut, and below two
 * (or above {@link #MAX_PAIRS} pairs) the design draws its pairs uniformly.
 */
final class PairHerding {
    /**
     * Candidates per pair. On mlp_m16 at 4·M, plain regression on herded designs erred 0.54, 0.49
     * and 0.49 times as much as on uniform ones with 16, 64 and 256 candidates (0.68 and 0.61 at 8·M
     * with 16 and 64); 32 halves 64's cost.
     */
    static final int CANDIDATES = 32;
    /**
     * Candidates per pair from {@link #FEWER_FROM} sampled coalitions per player on. At 32·M and 64·M
     * on the bench's five sampled games (10 seeds), 16 candidates erred 0.91–1.03 times as much as 32
     * (geometric mean 0.98), 8 up to 1.10 times. Halving the scoring matters where the model is
     * cheap: on breast_cancer at nsamples 2048 (68·M) a herded design costs about a fifth of the
     * estimator's own CPU.
     */
    static final int FEWER_CANDIDATES = 16;
    static final int FEWER_FROM = 32;
    /** Bound on the scoring's additions (a few hundredths of a second). */
    static final long MAX_WORK = 1L << 25;
    /**
     * Below this many sampled coalitions per player, where the adjustment keeps few terms and the
     * error is mostly the linear fit's, each pair's best candidate is also improved by swaps
     * ({@link #improved}). On the bench's six games (10 seeds) that cut the error 1–22% more at 4·M;
     * at 8·M, where the adjustment already fits one term per 12 coalitions, 3–9% on five games and
     * 3% worse on the sixth; at 16·M and 32·M as often worse as better (up to 19% worse): balancing
     * order 2 harder leaves more imbalance in the orders above, and those are what is left once the
     * triples are fitted. The swaps follow the adjustment's own change of regime at 6·M.
     */
    static final int SWAPPED_BELOW = OddTermAdjustment.COUNTED_FROM;
    /** Swaps per pair at most. */
    static final int SWAP_ROUNDS = 8;
    /**
     * Designs with more sampled pairs are drawn uniformly. Drawing the candidates costs beside the
     * scoring (about 0.2 µs each), and the design is built before an instance's first coalition:
     * under a time budget a design sized for 100,000 coalitions of 30 players would hold back the
     * first estimate by about 0.1 s. 2,048 pairs cost under 20 ms at 48 players.
     */
    static final int MAX_PAIRS = 2048;
    /**
     * Classes this small, or at least half taken, are listed; the others are drawn by rejection,
     * which then finds a new pair at least half the time and has far more unchosen pairs than candidates.
     */
    static final long LISTED_CAPACITY = 1024;

    /**
     * One size class of sampled pairs.
     *
     * @param pool      the players a representative is drawn from (0..pool−1)
     * @param pick      how many of them a representative holds
     * @param fixesLast the class is even M's middle size: every representative also holds player M−1
     * @param capacity  the class's distinct pairs (Long.MAX_VALUE for more than any budget)
     * @param wanted    pairs to draw, fewer than the capacity
     * @param weight    the Horvitz–Thompson weight of each of its coalitions in the design
     */
    record PairClass(int pool, int pick, boolean fixesLast, long capacity, int wanted, double weight) {
        int members() {
            return pick + (fixesLast ? 1 : 0);
        }
    }

    private final int m;
    /**
     * S = Σ w s sᵀ, kept as its parts that can tell candidates of one class apart. With z the
     * chosen coalition, s sᵀ = 11ᵀ − 2(1·zᵀ + z·1ᵀ) + 4·z zᵀ: {@code together} is Σ 4w z zᵀ
     * (row-major) with its row sums, {@code single} is Σ −2w z; the 11ᵀ part is the same for
     * every candidate and is dropped. So an update and a score cost k² for k players, not M².
     */
    private final double[] together;
    private final double[] togetherRows;
    private final double[] single;

    private PairHerding(int m) {
        this.m = m;
        this.together = new double[m * m];
        this.togetherRows = new double[m];
        this.single = new double[m];
    }

    /**
     * A bound on the memory herding holds while it builds a design of m players (it herds at most
     * {@link #MAX_PAIRS} pairs): S's parts, the listed classes' representatives (the small
     * classes whole, the others at most twice their pairs), the refused keys, the candidates and the
     * chosen representatives. About 1.3 MB at 128 players.
     */
    static long workingBytes(int m) {
        long smallClasses = 0;
        for (int s = 1; 2 * s <= m; s++) {
            double all = 1;
            for (int i = 1; i <= s; i++) {
                all = all * (m - s + i) / i;
            }
            smallClasses += all <= LISTED_CAPACITY ? (long) all : 0;
        }
        long rep = 16 + 4L * (m / 2 + 1);
        long reps = smallClasses + 3L * MAX_PAIRS + CANDIDATES;
        return Double.BYTES * ((long) m * m + 2L * m) + reps * rep + Long.BYTES * 4L * MAX_PAIRS
                + Integer.BYTES * (long) MAX_PAIRS;
    }

    /**
     * The candidates each pair of a game of m players is chosen from: {@link #CANDIDATES}, or
     * {@link #FEWER_CANDIDATES} from {@link #FEWER_FROM}·m sampled coalitions on; fewer where scoring
     * them all would pass {@link #MAX_WORK}, none above {@link #MAX_PAIRS}; below 2 the pairs are
     * drawn uniformly instead.
     */
    static int candidates(int m, List<PairClass> classes) {
        long work = 0;
        long pairs = 0;
        for (PairClass c : classes) {
            work += (long) c.wanted() * c.members() * c.members();
            pairs += c.wanted();
        }
        if (pairs > MAX_PAIRS) {
            return 0;
        }
        int wanted = 2 * pairs >= (long) FEWER_FROM * m ? FEWER_CANDIDATES : CANDIDATES;
        // Each pair costs its candidates' scores, k²/2 each, and one update, k².
        return (int) Math.min(wanted, 2 * (MAX_WORK / Math.max(1, work) - 1));
    }

    /**
     * Each class's representatives (sorted players 0..pool−1, without the fixed last one), in the
     * order they were chosen. Needs {@link #candidates} of at least 2.
     */
    static List<List<int[]>> draw(int m, List<PairClass> classes, SplittableRandom rng, Cancellation cancellation) {
        long sampled = 0;
        for (PairClass c : classes) {
            sampled += 2L * c.wanted();
        }
        return draw(m, classes, rng, cancellation, sampled < (long) SWAPPED_BELOW * m);
    }

    /** As {@link #draw(int, List, SplittableRandom, Cancellation)}, with or without the swaps. */
    static List<List<int[]>> draw(int m, List<PairClass> classes, SplittableRandom rng, Cancellation cancellation,
                                  boolean swapping) {
        int candidates = candidates(m, classes);
        if (candidates < 2) {
            throw new IllegalArgumentException("herding " + classes.size() + " classes of " + m
                    + " players would pass its work bound");
        }
        PairHerding herding = new PairHerding(m);
        int total = 0;
        for (PairClass c : classes) {
            total += c.wanted();
        }
        List<Source> sources = new ArrayList<>(classes.size());
        for (PairClass c : classes) {
            boolean listed = c.capacity() <= Math.max(2L * c.wanted(), LISTED_CAPACITY);
            sources.add(listed ? new Listed(c, rng) : new Rejected(c, candidates, rng));
        }
        // The class of each step, in random order, so that every class's choices see the others'.
        int[] order = new int[total];
        int at = 0;
        for (int c = 0; c < classes.size(); c++) {
            for (int i = 0; i < classes.get(c).wanted(); i++) {
                order[at++] = c;
            }
        }
        for (int i = total - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        List<List<int[]>> chosen = new ArrayList<>(classes.size());
        for (PairClass c : classes) {
            chosen.add(new ArrayList<>(c.wanted()));
        }
        int[] members = new int[m];
        for (int step = 0; step < total; step++) {
            if (step % LeverageDesign.CANCELLATION_STRIDE == 0) {
                cancellation.throwIfCancelled();
            }
            PairClass c = classes.get(order[step]);
            Source source = sources.get(order[step]);
            int offered = source.offer(candidates);
            int best = 0;
            double bestScore = Double.POSITIVE_INFINITY;
            for (int k = 0; k < offered; k++) {
                double score = herding.score(members, membersOf(source.candidate(k), c, members));
                if (score < bestScore) {
                    bestScore = score;
                    best = k;
                }
            }
            int[] rep = source.take(best, swapping ? herding.improved(source.candidate(best), c, rng) : null);
            herding.add(members, membersOf(rep, c, members), c.weight());
            chosen.get(order[step]).add(rep);
        }
        return chosen;
    }

    private static int membersOf(int[] rep, PairClass c, int[] out) {
        System.arraycopy(rep, 0, out, 0, rep.length);
        if (c.fixesLast()) {
            out[rep.length] = c.pool();
        }
        return c.members();
    }

    /**
     * sᵀSs up to a constant of the class, for s = 2z − 1 with z the given k players:
     * Σ_{a,b∈z} S_ab − Σ_{a∈z} (S·1)_a orders the candidates as sᵀSs does, and with S's parts it
     * is Σ_{a,b∈z} T_ab − Σ_{a∈z} (T·1)_a + (2k − M)·Σ_{a∈z} single_a.
     */
    private double score(int[] z, int k) {
        double linear = 0;
        double pairs = 0;
        for (int i = 0; i < k; i++) {
            int row = z[i] * m;
            linear += (2.0 * k - m) * single[z[i]] - togetherRows[z[i]] + together[row + z[i]];
            // T is symmetric: each pair of players once.
            for (int j = 0; j < i; j++) {
                pairs += together[row + z[j]];
            }
        }
        return linear + 2 * pairs;
    }

    /**
     * The best candidate after swaps of one of its players for one outside it, each the swap that
     * lowers the score most, while one does (at most {@link #SWAP_ROUNDS}). Players outside are tried
     * in random order, so that ties favour none. Only the fixed player of a middle class stays.
     */
    int[] improved(int[] candidate, PairClass c, SplittableRandom rng) {
        int[] rep = candidate.clone();
        int[] z = new int[m];
        int k = membersOf(rep, c, z);
        boolean[] in = new boolean[m];
        for (int i = 0; i < k; i++) {
            in[z[i]] = true;
        }
        double[] reach = new double[m];
        double[] own = new double[m];
        for (int a = 0; a < m; a++) {
            int row = a * m;
            double r = 0;
            for (int i = 0; i < k; i++) {
                r += together[row + z[i]];
            }
            reach[a] = r;
            own[a] = (2.0 * k - m) * single[a] - togetherRows[a] + together[row + a];
        }
        int[] outside = new int[c.pool()];
        for (int i = 0; i < outside.length; i++) {
            outside[i] = i;
        }
        for (int i = outside.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = outside[i];
            outside[i] = outside[j];
            outside[j] = t;
        }
        for (int round = 0; round < SWAP_ROUNDS; round++) {
            double bestGain = 0;
            int bestOut = -1;
            int bestIn = -1;
            for (int i = 0; i < rep.length; i++) {
                int a = rep[i];
                double leave = -2 * reach[a] + own[a];
                for (int b : outside) {
                    if (in[b]) {
                        continue;
                    }
                    double gain = leave + 2 * reach[b] - 2 * together[a * m + b] + own[b];
                    if (gain < bestGain) {
                        bestGain = gain;
                        bestOut = i;
                        bestIn = b;
                    }
                }
            }
            if (bestOut < 0) {
                break;
            }
            int a = rep[bestOut];
            rep[bestOut] = bestIn;
            in[a] = false;
            in[bestIn] = true;
            for (int d = 0; d < m; d++) {
                reach[d] += together[d * m + bestIn] - together[d * m + a];
            }
        }
        return rep;
    }

    /** S += w s sᵀ for s = 2z − 1, on S's parts. */
    private void add(int[] z, int k, double w) {
        for (int i = 0; i < k; i++) {
            int row = z[i] * m;
            for (int j = 0; j < k; j++) {
                together[row + z[j]] += 4 * w;
            }
            togetherRows[z[i]] += 4 * w * k;
            single[z[i]] -= 2 * w;
        }
    }

    /** A class's unchosen representatives, offered a few at a time. */
    private interface Source {
        /** Draws up to {@code n} distinct unchosen representatives; returns how many. */
        int offer(int n);

        int[] candidate(int k);

        /**
         * Marks offered candidate k chosen and returns it; {@code improved}, where given and not
         * chosen before, replaces it (a class drawn by rejection; a listed class ignores it).
         */
        int[] take(int k, int[] improved);
    }

    /** A class mostly taken: its representatives listed, the unchosen ones behind the chosen. */
    private static final class Listed implements Source {
        private final List<int[]> all = new ArrayList<>();
        private final SplittableRandom rng;
        private int taken;
        private int offered;

        Listed(PairClass c, SplittableRandom rng) {
            this.rng = rng;
            LeverageDesign.forEachCombination(c.pool(), c.pick(), rep -> all.add(rep.clone()));
        }

        @Override
        public int offer(int n) {
            offered = Math.min(n, all.size() - taken);
            // A partial Fisher–Yates shuffle of the unchosen part puts a uniform subset at its front.
            for (int i = 0; i < offered; i++) {
                int j = taken + i + rng.nextInt(all.size() - taken - i);
                Collections.swap(all, taken + i, j);
            }
            return offered;
        }

        @Override
        public int[] candidate(int k) {
            return all.get(taken + k);
        }

        @Override
        public int[] take(int k, int[] improved) {
            Collections.swap(all, taken, taken + k);
            return all.get(taken++);
        }
    }

    /**
     * A class with many more pairs than wanted: random representatives, the chosen ones refused. A
     * representative is known by the sum of its players' random 64-bit keys: equal sets always
     * collide, so no pair is chosen twice; a stray collision only refuses a candidate.
     */
    private static final class Rejected implements Source {
        private final int pool;
        private final int pick;
        private final SplittableRandom rng;
        private final int[] perm;
        private final long[] keys;
        /** The chosen representatives' keys, open addressing (0 marks a free slot: a key of 0 is refused). */
        private final long[] seen;
        private final int[][] offered;
        private final long[] offeredKeys;

        Rejected(PairClass c, int candidates, SplittableRandom rng) {
            this.pool = c.pool();
            this.pick = c.pick();
            this.rng = rng;
            this.perm = new int[pool];
            this.keys = new long[pool];
            for (int i = 0; i < pool; i++) {
                perm[i] = i;
                keys[i] = rng.nextLong();
            }
            this.seen = new long[Integer.highestOneBit(Math.max(2, c.wanted())) * 4];
            this.offered = new int[candidates][pick];
            this.offeredKeys = new long[candidates];
        }

        @Override
        public int offer(int n) {
            int count = 0;
            // At most half the class is ever chosen, so a draw is new with probability at least ½.
            while (count < n) {
                long key = 0;
                for (int i = 0; i < pick; i++) {
                    int j = i + rng.nextInt(pool - i);
                    int t = perm[i];
                    perm[i] = perm[j];
                    perm[j] = t;
                    key += keys[perm[i]];
                }
                if (key != 0 && !contains(key)) {
                    System.arraycopy(perm, 0, offered[count], 0, pick);
                    offeredKeys[count++] = key;
                }
            }
            return count;
        }

        @Override
        public int[] candidate(int k) {
            return offered[k];
        }

        @Override
        public int[] take(int k, int[] improved) {
            if (improved != null) {
                long key = 0;
                for (int i : improved) {
                    key += keys[i];
                }
                if (key != 0 && !contains(key)) {
                    offeredKeys[k] = key;
                    System.arraycopy(improved, 0, offered[k], 0, pick);
                }
            }
            long key = offeredKeys[k];
            int mask = seen.length - 1;
            int slot = (int) (key ^ (key >>> 32)) & mask;
            while (seen[slot] != 0) {
                slot = (slot + 1) & mask;
            }
            seen[slot] = key;
            int[] rep = offered[k].clone();
            Arrays.sort(rep);
            return rep;
        }

        private boolean contains(long key) {
            int mask = seen.length - 1;
            for (int slot = (int) (key ^ (key >>> 32)) & mask; seen[slot] != 0; slot = (slot + 1) & mask) {
                if (seen[slot] == key) {
                    return true;
                }
            }
            return false;
        }
    }
}
