package dev.prism.model;

import dev.prism.model.trees.TreeEnsemble;
import dev.prism.tensor.RowBlock;
import java.util.Optional;

/**
 * A loaded model. Only scheduler workers call {@link #run}, possibly several at once, so
 * implementations must allow concurrent runs.
 */
public interface Model extends AutoCloseable {

    ModelSignature signature();

    /** Execution provider the model runs on, e.g. "cpu" or "cuda:0". */
    String device();

    /**
     * Evaluates the rows of the batch (each a flattened instance of the explained input) and
     * returns one row of score columns per input row.
     *
     * @throws dev.prism.error.PrismException with MODEL_EXECUTION_FAILED when the runtime fails
     */
    RowBlock run(RowBatch batch);

    /**
     * The scheduler has no rows left for this model and no run in flight: memory the runtime keeps
     * for runs (ONNX Runtime's arena) may go back. Called by a worker, outside any lock; by default
     * nothing to give back.
     */
    default void releaseIdleMemory() {
    }

    /**
     * Another float output of the model's graph (an embedding) as a model of its own: the same
     * runtime session, that output as its only score output. Closing the view closes nothing; it
     * must not run after this model is closed.
     *
     * @throws IllegalArgumentException when the graph has no such output, or it cannot be one
     */
    default Model outputView(String output) {
        throw new IllegalArgumentException("this model's runtime gives its score outputs only: an embedding"
                + " output needs a model file");
    }

    /** Gradient graphs compiled from this model; by default none. */
    default AttributionGraphs attributionGraphs() {
        return AttributionGraphs.none("this model's runtime does not compile gradient graphs");
    }

    /**
     * The tree ensemble Prism read from the model when it loaded and checked against the model's own
     * runs; empty when the model is not a tree ensemble or Prism cannot use it (then
     * {@link #treesUnsupported} says why).
     */
    default Optional<TreeEnsemble> trees() {
        return Optional.empty();
    }

    /** Why {@link #trees} is empty, for a refusal naming it; empty exactly when the ensemble is there. */
    default Optional<String> treesUnsupported() {
        return Optional.of(NOT_A_TREE_ENSEMBLE);
    }

    /** The reason a model without any tree ensemble gives. */
    String NOT_A_TREE_ENSEMBLE = "the model is not a tree ensemble";

    @Override
    void close();
}
