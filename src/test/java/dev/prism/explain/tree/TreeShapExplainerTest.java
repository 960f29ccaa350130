package dev.prism.explain.tree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explanation;
import dev.prism.explain.Link;
import dev.prism.explain.ProgressSink;
import dev.prism.explain.TimeBudget;
import dev.prism.runner.RequestContext;
import dev.prism.tensor.RowBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** tree_shap over many rows: the same answers however rows are split across threads or requests. */
class TreeShapExplainerTest {
    private static final int ROWS = 300;

    private final GoldenTrees golden = GoldenTrees.load("lgbm_regressor");

    private RowBlock instances(int n) {
        Random rng = new Random(3);
        int m = golden.instances()[0].length;
        double[] data = new double[n * m];
        for (int i = 0; i < n; i++) {
            double[] x = golden.instances()[i % golden.instances().length];
            for (int f = 0; f < m; f++) {
                data[i * m + f] = x[f] * (1 + 0.1 * rng.nextGaussian());
            }
        }
        return new RowBlock(n, m, data);
    }

    private List<Explanation> explain(RowBlock rows, int threads, long tableBudget, ProgressSink progress) {
        try (RowThreads rowThreads = new RowThreads(threads)) {
            ServedEnsemble ensemble = new ServedEnsemble(golden.trees(), null, new TreeTableCache(tableBudget),
                    rowThreads);
            ExplainInput input = new ExplainInput(rows, golden.background(), new int[] {0}, Link.IDENTITY, 0);
            TreeShapExplainer explainer = new TreeShapExplainer();
            TreeShapParams params = new TreeShapParams(ensemble);
            explainer.validate(input, params);
            return explainer.explain(input, params, null, progress, new RequestContext(), TimeBudget.NONE);
        }
    }

    @Test
    void theAnswersDoNotDependOnThreadsOrOnHowRowsAreGroupedIntoRequests() {
        RowBlock rows = instances(ROWS);
        List<Explanation> one = explain(rows, 1, 1 << 26, ProgressSink.NONE);
        List<Explanation> four = explain(rows, 4, 1 << 26, ProgressSink.NONE);
        assertEquals(ROWS, one.size());
        for (int i = 0; i < ROWS; i++) {
            assertEquals(i, four.get(i).instance());
            assertArrayEquals(one.get(i).attributions(), four.get(i).attributions(), 0);
            assertEquals(one.get(i).baseValue(), four.get(i).baseValue(), 0);
        }
        // Walking every background row instead of reading a table gives the same values.
        List<Explanation> walked = explain(rows, 2, 0, ProgressSink.NONE);
        for (int i = 0; i < ROWS; i++) {
            assertArrayEquals(one.get(i).attributions(), walked.get(i).attributions(), 1e-12);
            // The tables' descent finds x's margin on its way, exactly as the ensemble computes it.
            assertEquals(walked.get(i).modelOutput(), one.get(i).modelOutput(), 0);
        }
        // Each row alone gives its answer in the whole request, bit for bit, by the same algorithm.
        for (int i = 0; i < ROWS; i += 37) {
            RowBlock alone = new RowBlock(1, rows.width(), rows.row(i));
            assertArrayEquals(walked.get(i).attributions(), explain(alone, 2, 0, ProgressSink.NONE).get(0)
                    .attributions(), 0);
        }
    }

    @Test
    void progressCountsEveryRowOnTheRequestsOwnThread() {
        Thread caller = Thread.currentThread();
        List<Long> totals = new ArrayList<>();
        long[] advanced = new long[1];
        boolean[] elsewhere = new boolean[1];
        ProgressSink recording = new ProgressSink() {
            @Override
            public void total(long evaluations) {
                totals.add(evaluations);
            }

            @Override
            public void advance(long evaluations) {
                elsewhere[0] |= Thread.currentThread() != caller;
                advanced[0] += evaluations;
            }

            @Override
            public void estimate(int instance, int output, double[] attributions, double[] standardErrors) {
            }
        };
        explain(instances(2_000), 3, 1 << 26, recording);
        assertEquals(List.of(2_000L), totals);
        assertEquals(2_000, advanced[0]);
        assertTrue(!elsewhere[0], "progress was reported from a helper thread");
    }
}
