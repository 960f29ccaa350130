package dev.prism.explain.gradient;

import dev.prism.explain.Explainer;
import dev.prism.batch.BatchScheduler;
import dev.prism.batch.BatchingSettings;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explanation;
import dev.prism.explain.FeatureGroups;
import dev.prism.explain.Link;
import dev.prism.explain.ProgressSink;
import dev.prism.explain.TimeBudget;
import dev.prism.model.Background;
import dev.prism.runner.RequestContext;
import dev.prism.tensor.RowBlock;
import dev.prism.testing.AttributionFunctionModel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;

/** Runs gradient explainers on the attribution graphs of closed-form models, as the server does. */
final class Graphs {
    private Graphs() {}

    static <P> List<Explanation> run(Explainer<P> explainer, P params, AttributionFunctionModel model,
                                     ExplainInput input) {
        return run(explainer, params, model, false, input, BatchingSettings.DEFAULT.maxBatchRows(), ProgressSink.NONE,
                new RequestContext());
    }

    static <P> List<Explanation> run(Explainer<P> explainer, P params, AttributionFunctionModel model,
                                     boolean logits, ExplainInput input, int maxBatchRows, ProgressSink progress,
                                     RequestContext context) {
        explainer.validate(input, params);
        BatchingSettings batching = new BatchingSettings(maxBatchRows, 0, BatchingSettings.DEFAULT.maxQueueRows(),
                true, 2);
        try (BatchScheduler scheduler = new BatchScheduler("test", model.attributionGraphs()
                .graph(explainer.method().graph(), logits), batching, new SimpleMeterRegistry())) {
            return explainer.explain(input, params, scheduler.open(context), progress, context, TimeBudget.NONE);
        }
    }

    /** Every element a feature, every output explained, against the given reference rows. */
    static ExplainInput input(double[][] x, Background references, boolean baseline, int outputs) {
        return input(x, references, baseline, singletons(x[0].length), outputs);
    }

    static ExplainInput input(double[][] x, Background references, boolean baseline, FeatureGroups groups,
                              int outputs) {
        int[] columns = new int[outputs];
        for (int k = 0; k < outputs; k++) {
            columns[k] = k;
        }
        return new ExplainInput(rows(x), references, baseline, groups, columns, Link.IDENTITY, 0);
    }

    static Background baseline(double... values) {
        return Background.uniform(new RowBlock(1, values.length, values.clone()));
    }

    static RowBlock rows(double[][] values) {
        int width = values[0].length;
        double[] data = new double[values.length * width];
        for (int r = 0; r < values.length; r++) {
            System.arraycopy(values[r], 0, data, r * width, width);
        }
        return new RowBlock(values.length, width, data);
    }

    static FeatureGroups singletons(int elements) {
        List<String> names = new ArrayList<>();
        for (int e = 0; e < elements; e++) {
            names.add("f" + e);
        }
        return FeatureGroups.singletons(names);
    }
}
