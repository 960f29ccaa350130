package dev.prism.model;

import java.util.Optional;

/**
 * The attribution graphs of one model, compiled and validated when the model loads. Each graph is
 * a {@link Model} of its own whose rows follow its {@link AttributionKind}'s layout, so it runs
 * through a batch scheduler like any model.
 */
public interface AttributionGraphs extends AutoCloseable {

    /** Empty when the kind can be served; otherwise why not, naming the operator and node. */
    Optional<String> unsupported(AttributionKind kind);

    /** True when the score output is produced by a final Softmax, so its logits can be explained. */
    boolean hasLogits();

    /**
     * The compiled graph.
     *
     * @param logits attribute the input of the final Softmax instead of the score output
     * @throws IllegalStateException when the kind is unsupported or logits are asked of a model without them
     */
    Model graph(AttributionKind kind, boolean logits);

    @Override
    void close();

    /** Graphs of a model that has none, for the reason given. */
    static AttributionGraphs none(String reason) {
        return new AttributionGraphs() {
            @Override
            public Optional<String> unsupported(AttributionKind kind) {
                return Optional.of(reason);
            }

            @Override
            public boolean hasLogits() {
                return false;
            }

            @Override
            public Model graph(AttributionKind kind, boolean logits) {
                throw new IllegalStateException(reason);
            }

            @Override
            public void close() {
            }
        };
    }
}
