package dev.prism.testing;

import dev.prism.batch.BatchScheduler;
import dev.prism.batch.BatchingSettings;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explainer;
import dev.prism.explain.Explanation;
import dev.prism.explain.ProgressSink;
import dev.prism.explain.TimeBudget;
import dev.prism.model.Model;
import dev.prism.runner.RequestContext;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;

/** Runs an explainer against a model through a real scheduler, as the server does. */
public final class ExplainerHarness {
    private ExplainerHarness() {}

    public static <P> List<Explanation> explain(Explainer<P> explainer, Model model, ExplainInput input, P params,
                                                BatchingSettings batching, ProgressSink progress) {
        explainer.validate(input, params);
        try (BatchScheduler scheduler = new BatchScheduler("test", model, batching, new SimpleMeterRegistry())) {
            RequestContext context = new RequestContext();
            return explainer.explain(input, params, scheduler.open(context), progress, context, TimeBudget.NONE);
        }
    }

    public static <P> List<Explanation> explain(Explainer<P> explainer, Model model, ExplainInput input, P params) {
        return explain(explainer, model, input, params, BatchingSettings.DEFAULT, ProgressSink.NONE);
    }
}
