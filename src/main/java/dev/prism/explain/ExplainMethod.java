package dev.prism.explain;

import dev.prism.model.AttributionKind;

/**
 * What one explanation method is, declared once by its explainer ({@link Explainer#method()}):
 * what it evaluates, which reference input it compares with and what a request may ask of it. The
 * server's method table, its request codec, GetModel and the command line read it.
 *
 * @param name              the method's name: its request field, its name in responses and its metrics label
 * @param runsOn            what it evaluates
 * @param graph             with {@link RunsOn#ATTRIBUTION_GRAPH}, the graph its rows are laid out for; else null
 * @param reference         the reference input it takes
 * @param withoutTimeBudget why it has no answer before its end, or null when it answers within a time budget
 * @param tolerance         it can stop once its estimates are within a requested standard error
 * @param runningEstimates  it streams estimates of the attributions while it works
 * @param efficient         its attributions add up to f(x) − f(x′) (Shapley efficiency, DeepLIFT's
 *                          summation-to-delta, Integrated Gradients' completeness), so a large gap
 *                          says something went wrong
 */
public record ExplainMethod(String name, RunsOn runsOn, AttributionKind graph, Reference reference,
                            String withoutTimeBudget, boolean tolerance, boolean runningEstimates, boolean efficient) {

    /** What a method evaluates. */
    public enum RunsOn {
        /** Rows of the model itself: coalitions or perturbed samples, through the model's scheduler. */
        MODEL_ROWS,
        /** Rows of an attribution graph compiled from the model's graph, through that graph's scheduler. */
        ATTRIBUTION_GRAPH,
        /** The model's tree ensemble, read directly: no model rows at all. */
        TREES
    }

    /** The reference input a method compares an instance with. */
    public enum Reference {
        /** Background rows it averages over, or one baseline row instead when the request gives one. */
        BACKGROUND_OR_BASELINE,
        /** Background rows only. */
        BACKGROUND,
        /** One baseline row: the request's, else the model's configured one, else zeros. */
        BASELINE,
        /** None: it looks at the instance alone. */
        NONE
    }

    /** A method that evaluates rows of the model itself, each coalition or sample a row. */
    public static ExplainMethod onModelRows(String name, Reference reference, String withoutTimeBudget,
                                            boolean tolerance, boolean runningEstimates, boolean efficient) {
        return new ExplainMethod(name, RunsOn.MODEL_ROWS, null, reference, withoutTimeBudget, tolerance,
                runningEstimates, efficient);
    }

    /** A method that evaluates rows of one of the model's attribution graphs. */
    public static ExplainMethod onGraph(String name, AttributionKind graph, Reference reference,
                                        String withoutTimeBudget, boolean runningEstimates, boolean efficient) {
        return new ExplainMethod(name, RunsOn.ATTRIBUTION_GRAPH, graph, reference, withoutTimeBudget, false,
                runningEstimates, efficient);
    }

    /** A method that reads the model's tree ensemble instead of evaluating rows. */
    public static ExplainMethod onTrees(String name, Reference reference, String withoutTimeBudget,
                                        boolean runningEstimates, boolean efficient) {
        return new ExplainMethod(name, RunsOn.TREES, null, reference, withoutTimeBudget, false, runningEstimates,
                efficient);
    }

    /** It evaluates an attribution graph compiled from the model's graph, not the model. */
    public boolean runsOnGraph() {
        return runsOn == RunsOn.ATTRIBUTION_GRAPH;
    }

    /** It reads the model's tree ensemble. */
    public boolean runsOnTrees() {
        return runsOn == RunsOn.TREES;
    }

    /** It answers with its estimates of the moment when a request's time budget runs out. */
    public boolean answersWithinTimeBudget() {
        return withoutTimeBudget == null;
    }
}
