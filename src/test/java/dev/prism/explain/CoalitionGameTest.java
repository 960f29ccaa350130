package dev.prism.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.batch.BatchScheduler;
import dev.prism.explain.shap.KernelShapExplainer;
import dev.prism.explain.shap.KernelShapParams;
import dev.prism.model.Background;
import dev.prism.model.BatchingSettings;
import dev.prism.model.RequestContext;
import dev.prism.tensor.RowBlock;
import dev.prism.testing.FunctionModel;
import dev.prism.testing.RecordingProgress;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
        BatchingSettings batching = new BatchingSettings(4096, 0, 4_194_304, true, 1);
        List<Explanation> out;
        try (BatchScheduler scheduler = new BatchScheduler("t", model, batching, new SimpleMeterRegistry())) {
            RequestContext context = new RequestContext();
            out = new KernelShapExplainer().explain(input, KernelShapParams.DEFAULTS, scheduler.open(context),
                    progress, context);
        }
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
}
