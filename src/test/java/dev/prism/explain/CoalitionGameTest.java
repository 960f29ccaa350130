package dev.prism.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.batch.BatchingSettings;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.shap.KernelShapExplainer;
import dev.prism.explain.shap.KernelShapParams;
import dev.prism.model.Background;
import dev.prism.tensor.RowBlock;
import dev.prism.testing.ExplainerRun;
import dev.prism.testing.FunctionModel;
import dev.prism.testing.RecordingProgress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CoalitionGameTest {

    /** A small nonlinear model: the product of its first two inputs plus a sine of the rest. */
    private static double[] model(double[] x) {
        double s = x[0] * x[1];
        for (int i = 2; i < x.length; i++) {
            s += Math.sin(x[i] * (i + 1));
        }
        return new double[] {s};
    }

    @Test
    void aGlobalJobOfManySmallInstancesRunsAtFullBatchSize() {
        int instances = 2000;
        int m = 4;
        Random r = new Random(3);
        double[] x = new double[instances * m];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextGaussian();
        }
        double[] bg = new double[5 * m];
        for (int i = 0; i < bg.length; i++) {
            bg[i] = r.nextGaussian();
        }
        FunctionModel model = new FunctionModel(m, 1, CoalitionGameTest::model);
        ExplainInput input = new ExplainInput(new RowBlock(instances, m, x), Background.uniform(new RowBlock(5, m, bg)),
                new int[] {0}, Link.IDENTITY, 0);
        RecordingProgress progress = new RecordingProgress();
        List<Explanation> out = ExplainerRun.of(new KernelShapExplainer(), input, KernelShapParams.DEFAULTS).on(model)
                .batching(new BatchingSettings(4096, 0, 4_194_304, true, 1)).progress(progress).run();
        assertEquals(instances, out.size());
        for (int i = 0; i < instances; i++) {
            assertEquals(i, out.get(i).instance(), "explanations come in instance order");
        }
        // Each instance alone is 14 coalitions x 5 rows = 70 rows; together they must fill batches.
        List<Integer> sizes = model.batchSizes();
        long rows = sizes.stream().mapToLong(Integer::longValue).sum();
        assertEquals(instances + 5 + (long) instances * 14 * 5, rows);
        assertEquals(rows, progress.done);
        assertEquals(progress.total, progress.done, "progress reaches its total");
        double mean = (double) rows / sizes.size();
        assertTrue(mean >= 2048, "mean rows per model call " + mean + " over " + sizes.size() + " calls");
    }

    /** What staged plans did, in order: "h i s" (instance i handed out stage s), "p i" (parked), "d i" (done). */
    private static final class StagedPlans {
        final List<String> events = new ArrayList<>();
        final int stages;
        final int stageSize;
        final long bytes;

        StagedPlans(int stages, int stageSize, long bytes) {
            this.stages = stages;
            this.stageSize = stageSize;
            this.bytes = bytes;
        }

        CoalitionGame.Plan start(CoalitionGame.Instance instance) {
            int id = instance.index();
            int m = instance.playerCount();
            return new CoalitionGame.Plan() {
                int stage;
                int handedOut;
                int absorbed;

                @Override
                public List<boolean[]> next(int max) {
                    int n = Math.min(max, (stage + 1) * stageSize - handedOut);
                    List<boolean[]> out = new ArrayList<>();
                    for (int j = 0; j < n; j++) {
                        boolean[] z = new boolean[m];
                        z[(handedOut + j) % m] = true;
                        out.add(z);
                    }
                    if (n > 0) {
                        events.add("h " + id + " " + stage);
                    }
                    handedOut += n;
                    return out;
                }

                @Override
                public boolean nextStage() {
                    if (stage + 1 == stages) {
                        return false;
                    }
                    stage++;
                    return true;
                }

                @Override
                public void absorb(List<boolean[]> coalitions, double[][] values) {
                    absorbed += coalitions.size();
                    if (absorbed == stages * stageSize) {
                        events.add("d " + id);
                    }
                }

                @Override
                public boolean done() {
                    return absorbed == stages * stageSize;
                }

                @Override
                public long expectedCoalitions() {
                    return (long) stages * stageSize;
                }

                @Override
                public long residentBytes() {
                    return bytes;
                }

                @Override
                public void park() {
                    events.add("p " + id);
                }
            };
        }

        /** Position of the first event with this prefix, or −1. */
        int first(String prefix) {
            for (int i = 0; i < events.size(); i++) {
                if (events.get(i).startsWith(prefix)) {
                    return i;
                }
            }
            return -1;
        }

        int last(String prefix) {
            for (int i = events.size() - 1; i >= 0; i--) {
                if (events.get(i).startsWith(prefix)) {
                    return i;
                }
            }
            return -1;
        }

        /** Position of the first hand-out of any instance's stage s, MAX_VALUE if none. */
        int firstOfStage(int s) {
            for (int i = 0; i < events.size(); i++) {
                if (events.get(i).startsWith("h") && events.get(i).endsWith(" " + s)) {
                    return i;
                }
            }
            return Integer.MAX_VALUE;
        }

        /** Position of the last hand-out of any instance's stage s, −1 if none. */
        int lastOfStage(int s) {
            for (int i = events.size() - 1; i >= 0; i--) {
                if (events.get(i).startsWith("h") && events.get(i).endsWith(" " + s)) {
                    return i;
                }
            }
            return -1;
        }
    }

    /** Plays staged plans over instances of a small model under a time budget that suffices. */
    private static void playInTurns(int instances, StagedPlans plans, long windowBytes) {
        int m = 4;
        Random r = new Random(5);
        double[] x = new double[instances * m];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextGaussian();
        }
        double[] bg = new double[3 * m];
        for (int i = 0; i < bg.length; i++) {
            bg[i] = r.nextGaussian();
        }
        ExplainInput input = new ExplainInput(new RowBlock(instances, m, x), Background.uniform(new RowBlock(3, m, bg)),
                new int[] {0}, Link.IDENTITY, 0);
        BatchingSettings batching = new BatchingSettings(4096, 0, 4_194_304, true, 1);
        ExplainerRun.of((runner, progress, context, budget) -> {
            new CoalitionGame(input, runner, progress, context, budget, windowBytes).play(plans::start, 3L * 7000);
            return null;
        }).on(new FunctionModel(m, 1, CoalitionGameTest::model)).batching(batching)
                .budget(TimeBudget.of(Duration.ofHours(1))).run();
    }

    @Test
    void underATimeBudgetEveryInstanceHandsOutItsFirstStageBeforeAnyHandsOutASecond() {
        // Stages of 7,000 coalitions (several chunks each, at 3 rows per coalition), 5 instances.
        StagedPlans plans = new StagedPlans(3, 7000, 1);
        playInTurns(5, plans, CoalitionGame.TURN_WINDOW_BYTES);
        assertTrue(plans.lastOfStage(0) < plans.firstOfStage(1), plans.events.toString());
        // Then round-robin: every instance's second stage before anyone's third.
        assertTrue(plans.lastOfStage(1) < plans.firstOfStage(2), plans.events.toString());
        for (int i = 0; i < 5; i++) {
            assertTrue(plans.first("h " + i + " 2") >= 0 && plans.first("d " + i) >= 0, "instance " + i + " finished");
        }
        assertEquals(-1, plans.first("p"), "everything fits in the window: nothing is parked");
    }

    @Test
    void instancesOutsideTheTurnWindowParkAfterTheirFirstStageAndJoinAsOthersFinish() {
        // A window of two plans: instances 2 to 5 give their first stage, park, and wait.
        StagedPlans plans = new StagedPlans(3, 7000, 100);
        playInTurns(6, plans, 250);
        assertTrue(plans.lastOfStage(0) < plans.firstOfStage(1), plans.events.toString());
        for (int i = 0; i < 6; i++) {
            int parked = plans.first("p " + i);
            assertEquals(i >= 2, parked >= 0, "instance " + i + ": " + plans.events);
            assertTrue(parked < 0 || parked > plans.last("h " + i + " 0"), "parked after its stage is handed out");
            assertTrue(plans.first("d " + i) >= 0, "instance " + i + " finished");
        }
        // At most two instances are ever past their first stage and not done.
        int running = 0;
        List<Integer> seen = new ArrayList<>();
        for (String event : plans.events) {
            String[] f = event.split(" ");
            int id = Integer.parseInt(f[1]);
            if (f[0].equals("h") && !f[2].equals("0") && !seen.contains(id)) {
                seen.add(id);
                running++;
            } else if (f[0].equals("d") && seen.contains(id)) {
                running--;
            }
            assertTrue(running <= 2, "window of two exceeded at " + event + ": " + plans.events);
        }
        assertFalse(seen.isEmpty());
    }

    @Test
    void aBudgetSpentBeforeTheGameStartsEndsItWithoutEvaluatingAnything() {
        FunctionModel model = new FunctionModel(4, 1, CoalitionGameTest::model);
        ExplainInput input = new ExplainInput(new RowBlock(1, 4, new double[] {1, 2, 3, 4}),
                Background.uniform(new RowBlock(1, 4, new double[4])), new int[] {0}, Link.IDENTITY, 0);
        TimeBudget budget = TimeBudget.of(Duration.ofMillis(-1)); // it waited longer than its budget for a thread
        PrismException e = assertThrows(PrismException.class, () -> ExplainerRun.of(new KernelShapExplainer(), input,
                KernelShapParams.DEFAULTS).on(model).budget(budget).run());
        assertEquals(Reason.DEADLINE_EXCEEDED, e.reason());
        assertTrue(e.getMessage().contains("time budget ran out before the explanation started"), e.getMessage());
        assertEquals(List.of(), model.batchSizes());
    }

    @Test
    void varyingGroupsAreThoseWithAnElementDifferingFromSomeReplacementRow() {
        FeatureGroups groups = FeatureGroups.of(5, List.of(new int[] {0, 1}, new int[] {2}, new int[] {3, 4}),
                List.of("a", "b", "c"));
        RowBlock replacement = new RowBlock(2, 5, new double[] {1, 2, 3, 4, 5, 1, 2, 9, 4, 5});
        assertArrayEquals(new int[] {1}, CoalitionGame.varyingGroups(new double[] {1, 2, 3, 4, 5}, replacement, groups));
        assertArrayEquals(new int[] {0, 1, 2},
                CoalitionGame.varyingGroups(new double[] {1, 2.1, 3, 4, 5.5}, replacement, groups));
        // numpy allclose: |a - b| <= 1e-8 + 1e-5 |b| counts as equal.
        assertArrayEquals(new int[] {1},
                CoalitionGame.varyingGroups(new double[] {1 + 5e-6, 2, 3, 4, 5}, replacement, groups));
    }

    @Test
    void aMissingValueEqualsAMissingValueAndDiffersFromAnyNumber() {
        // Tree ensembles take NaN as a missing value; shap compares with numpy's isclose(equal_nan=True).
        double nan = Double.NaN;
        FeatureGroups groups = FeatureGroups.of(3, List.of(new int[] {0}, new int[] {1}, new int[] {2}),
                List.of("a", "b", "c"));
        RowBlock replacement = new RowBlock(2, 3, new double[] {nan, 2, nan, nan, nan, 7});
        // a: missing everywhere; b: missing in the instance, 2 in a row; c: 3 against missing and 7.
        assertArrayEquals(new int[] {1, 2}, CoalitionGame.varyingGroups(new double[] {nan, nan, 3}, replacement,
                groups));
        assertArrayEquals(new int[] {0, 1, 2}, CoalitionGame.varyingGroups(new double[] {1, 2, 7}, replacement,
                groups));
    }
}
