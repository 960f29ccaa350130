package dev.prism.server;

import dev.prism.explain.Caveat;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explainer;
import dev.prism.explain.Explanation;
import dev.prism.explain.ProgressSink;
import dev.prism.explain.TimeBudget;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.RequestContext;
import java.util.List;

/** An explainer bound to the parameters a request gave it. */
record MethodCall<P>(String name, Explainer<P> explainer, P params) {
    void validate(ExplainInput input) {
        explainer.validate(input, params);
    }

    List<Caveat> caveats(ExplainInput input) {
        return explainer.caveats(input, params);
    }

    long evaluationsNeeded(ExplainInput input) {
        return explainer.evaluationsNeeded(input, params);
    }

    long workingBytes(ExplainInput input, int outputWidth, boolean timeBudget) {
        return explainer.workingBytes(input, params, outputWidth, timeBudget);
    }

    List<Explanation> run(ExplainInput input, BatchRunner runner, ProgressSink progress, RequestContext context,
                          TimeBudget budget) {
        return explainer.explain(input, params, runner, progress, context, budget);
    }
}
