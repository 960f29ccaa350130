package dev.prism.server;

import dev.prism.batch.BatchScheduler;
import dev.prism.explain.examples.NearestUnlikeNeighbour;
import dev.prism.explain.examples.ReferenceIndex;
import dev.prism.linalg.Cancellation;
import dev.prism.model.Model;
import dev.prism.model.ModelSignature;
import dev.prism.model.OutputKind;
import dev.prism.repository.ModelRepository;
import dev.prism.repository.ReferenceRows;
import dev.prism.runner.RequestContext;
import dev.prism.tensor.RowBlock;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * A model's reference set ready for explanations by example, built when the model loads (so that
 * the first request pays nothing, and a reference set the model cannot run is a load error): the
 * rows, the model's predictions of them (through the model's scheduler), an index in input space
 * and one over the predictions, and the predicted classes of a classifier; with an embedding
 * output, the rows' embeddings (through a scheduler of that output's own) and an index over them.
 * Only read once built, so any number of requests share it without locking.
 *
 * @param classes    one predicted class per row, or null for a model that is not a classifier
 * @param unlike     the nearest-unlike-neighbour search, or null for a model that is not a classifier
 * @param embeddings the rows' embeddings, or null without an embedding output
 * @param embedding  the index over them, or null
 * @param embedder   the scheduler that embeds instances, or null; {@link #close} stops it
 */
record ExampleIndex(RowBlock rows, double[] labels, RowBlock predictions, ReferenceIndex input,
                    ReferenceIndex output, int[] classes, NearestUnlikeNeighbour unlike, RowBlock embeddings,
                    ReferenceIndex embedding, BatchScheduler embedder) implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ExampleIndex.class.getName());

    /**
     * The index of a model's reference set, or empty when its config names none.
     *
     * @param schedulerOf starts the scheduler of the embedding output's view of the model
     */
    static Optional<ExampleIndex> build(ModelRepository.Entry entry, BatchScheduler scheduler,
                                        Function<Model, BatchScheduler> schedulerOf) {
        Optional<ReferenceRows> reference = entry.referenceSet();
        if (reference.isEmpty()) {
            return Optional.empty();
        }
        long start = System.nanoTime();
        ReferenceRows r = reference.get();
        ModelSignature sig = entry.model().signature();
        boolean[] categorical = new boolean[sig.featureCount()];
        for (int j : entry.categoricalFeatures()) {
            categorical[j] = true;
        }
        ReferenceIndex input = ReferenceIndex.inputSpace(r.rows(), categorical, r.labels(), Cancellation.NEVER);
        RowBlock predictions = predict(scheduler, r.rows());
        ReferenceIndex output = ReferenceIndex.euclidean(predictions, r.labels(), Cancellation.NEVER);
        int[] classes = null;
        NearestUnlikeNeighbour unlike = null;
        if (classifier(sig)) {
            classes = new int[predictions.rows()];
            for (int i = 0; i < classes.length; i++) {
                classes[i] = predictedClass(sig, predictions.row(i));
            }
            unlike = new NearestUnlikeNeighbour(input, classes);
        }
        RowBlock embeddings = null;
        ReferenceIndex embedding = null;
        BatchScheduler embedder = null;
        if (entry.embeddingOutput() != null) {
            embedder = schedulerOf.apply(entry.model().outputView(entry.embeddingOutput()));
            try {
                embeddings = predict(embedder, r.rows());
                embedding = ReferenceIndex.euclidean(embeddings, r.labels(), Cancellation.NEVER);
            } catch (RuntimeException e) {
                embedder.close();
                throw e;
            }
        }
        ExampleIndex index = new ExampleIndex(r.rows(), r.labels(), predictions, input, output, classes, unlike,
                embeddings, embedding, embedder);
        LOG.log(System.Logger.Level.INFO, String.format("model '%s': reference set of %d rows indexed in %d ms,"
                        + " %d bytes held (rows, predictions, embeddings and the indexes)", entry.name(), r.rows().rows(),
                (System.nanoTime() - start) / 1_000_000, index.bytes()));
        return Optional.of(index);
    }

    /** The rows' scores through the scheduler, as the model's own requests get them. */
    private static RowBlock predict(BatchScheduler scheduler, RowBlock rows) {
        RequestContext context = RequestContext.detached();
        try {
            return scheduler.open(context).submit(rows).join();
        } catch (CompletionException e) {
            throw new IllegalArgumentException("the model cannot predict its reference rows: "
                    + e.getCause().getMessage(), e.getCause());
        } finally {
            context.release();
        }
    }

    /**
     * Whether the scores are class scores: declared probabilities or logits, or several columns of
     * an unspecified kind. Regression (declared, or a single unspecified column) has no classes.
     */
    static boolean classifier(ModelSignature sig) {
        return switch (sig.outputKind()) {
            case PROBABILITY, LOGIT -> true;
            case REGRESSION -> false;
            case UNSPECIFIED -> sig.outputCount() > 1;
        };
    }

    /**
     * The argmax of the scores (the first of equal ones); a single column is the positive class's
     * probability or logit, so the class is 1 from 0.5 or 0 on.
     */
    static int predictedClass(ModelSignature sig, double[] scores) {
        if (scores.length == 1) {
            return scores[0] >= (sig.outputKind() == OutputKind.LOGIT ? 0 : 0.5) ? 1 : 0;
        }
        int best = 0;
        for (int c = 1; c < scores.length; c++) {
            if (scores[c] > scores[best]) {
                best = c;
            }
        }
        return best;
    }

    /** The class of reference row i, or -1 for a model that is not a classifier. */
    int classOf(int row) {
        return classes == null ? -1 : classes[row];
    }

    /** What the index holds on the heap: the rows, their predictions, labels and embeddings, the classes and the indexes. */
    long bytes() {
        return 16 + 8L * rows.data().length + 16 + 8L * predictions.data().length + input.bytes() + output.bytes()
                + (classes == null ? 0 : 16 + 4L * classes.length)
                + (embeddings == null ? 0 : 16 + 8L * embeddings.data().length + embedding.bytes());
    }

    /** Stops the embedding scheduler (after its running batches). */
    @Override
    public void close() {
        if (embedder != null) {
            embedder.close();
        }
    }
}
