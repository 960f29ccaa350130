package dev.prism.server;

import dev.prism.batch.BatchScheduler;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.ExplainMethod;
import dev.prism.model.AttributionGraphs;
import dev.prism.model.AttributionKind;
import dev.prism.model.ModelSignature;
import dev.prism.explain.tree.ServedEnsemble;
import dev.prism.repository.ModelRepository;
import dev.prism.tensor.TensorSpec;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A repository model together with the scheduler that owns it, and one scheduler per attribution
 * graph it serves: each supported kind for the score output, and for the logits when it has them.
 *
 * @param graphs   the model's attribution graphs, kept to say why a kind is unsupported
 * @param ensemble the model's tree ensemble as tree_shap runs it, when it has one
 * @param examples the reference set ready for explanations by example, when the config names one
 * @param inFlight the requests using this version, which keep it open after a reload replaced it
 */
record ServedModel(ModelRepository.Entry entry, BatchScheduler scheduler, AttributionGraphs graphs,
                   Map<Graph, BatchScheduler> graphSchedulers, Optional<ServedEnsemble> ensemble,
                   Optional<ExampleIndex> examples, InFlight inFlight) {

    /** One attribution graph of a model. */
    record Graph(AttributionKind kind, boolean logits) {
        /** The graph's name, its scheduler's meters' graph tag: e.g. "deep_lift" or "gradient_logits". */
        String label() {
            return kind.name().toLowerCase(Locale.ROOT) + (logits ? "_logits" : "");
        }
    }

    ServedModel {
        graphSchedulers = Map.copyOf(graphSchedulers);
    }

    String name() {
        return entry.name();
    }

    /** The digest of the model's folder when it was loaded. */
    String version() {
        return entry.version();
    }

    ModelSignature signature() {
        return entry.model().signature();
    }

    /** Empty when the model serves the method; otherwise why not. */
    Optional<String> unsupported(ExplainMethod method) {
        return switch (method.runsOn()) {
            case MODEL_ROWS -> Optional.empty();
            case ATTRIBUTION_GRAPH -> unsupported(method.graph());
            case TREES -> entry.model().treesUnsupported();
        };
    }

    /**
     * The tree ensemble Prism read from the model, or METHOD_UNSUPPORTED_FOR_MODEL
     * (FAILED_PRECONDITION) saying why there is none.
     */
    ServedEnsemble trees(String method) {
        return ensemble.orElseThrow(() -> new PrismException(Reason.METHOD_UNSUPPORTED_FOR_MODEL,
                "model '" + name() + "' cannot be explained with " + method + ": "
                        + entry.model().treesUnsupported().orElse("it has no tree ensemble")));
    }

    /** The reference set's index, or FAILED_PRECONDITION naming the config field that declares one. */
    ExampleIndex requireExamples() {
        return examples.orElseThrow(() -> new PrismException(Reason.METHOD_UNSUPPORTED_FOR_MODEL, "model '" + name()
                + "' has no reference set for explanations by example: its config names no reference_file"));
    }

    /** Empty when the model serves the kind; otherwise why not. */
    Optional<String> unsupported(AttributionKind kind) {
        return unsupported(signature(), graphs, kind);
    }

    /** Gradients need a floating-point input; past that, the graph compiler decides. */
    static Optional<String> unsupported(ModelSignature signature, AttributionGraphs graphs, AttributionKind kind) {
        TensorSpec input = signature.explainedInput();
        if (!input.dtype().isFloating()) {
            return Optional.of("gradient methods need a floating-point input; '" + input.name() + "' is "
                    + input.dtype());
        }
        return graphs.unsupported(kind);
    }

    boolean hasLogits() {
        return graphs.hasLogits();
    }

    /**
     * The scheduler of the graph, or METHOD_UNSUPPORTED_FOR_MODEL (FAILED_PRECONDITION) with the
     * reason the graph compiler gave.
     */
    BatchScheduler scheduler(Graph graph, String method) {
        BatchScheduler s = graphSchedulers.get(graph);
        if (s == null) {
            throw new PrismException(Reason.METHOD_UNSUPPORTED_FOR_MODEL, "model '" + name() + "' cannot be explained"
                    + " with " + method + ": " + unsupported(graph.kind()).orElse("it has no "
                    + (graph.logits() ? "logits" : "graph") + " for " + method));
        }
        return s;
    }
}
