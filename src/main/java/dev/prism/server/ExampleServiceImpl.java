package dev.prism.server;

import dev.prism.api.v1.DifferingFeature;
import dev.prism.api.v1.ExampleServiceGrpc;
import dev.prism.api.v1.ExampleSet;
import dev.prism.api.v1.ExampleSpace;
import dev.prism.api.v1.ExplainByExampleRequest;
import dev.prism.api.v1.ExplainByExampleResponse;
import dev.prism.api.v1.InstanceExamples;
import dev.prism.api.v1.PrototypeOptions;
import dev.prism.api.v1.PrototypesAndCriticisms;
import dev.prism.api.v1.ReferenceExample;
import dev.prism.api.v1.UnlikeNeighbour;
import dev.prism.error.FieldViolation;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.examples.MmdCritic;
import dev.prism.explain.examples.NearestUnlikeNeighbour;
import dev.prism.explain.examples.Neighbours;
import dev.prism.explain.examples.ReferenceIndex;
import dev.prism.linalg.Cancellation;
import dev.prism.model.ModelSignature;
import dev.prism.runner.RequestContext;
import dev.prism.tensor.RowBlock;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Explanations by example over a model's reference set ({@link ExampleIndex}). Decodes and checks
 * the request on the gRPC thread, then, on the explain pool, has the model's scheduler predict the
 * instances and scans the reference set for each: every answer is exact.
 */
final class ExampleServiceImpl extends ExampleServiceGrpc.ExampleServiceImplBase {
    /** Most neighbours per instance. */
    static final int MAX_K = 1000;
    /** Most members of a set summarised by prototypes and criticisms: MMD-critic costs n²/2 kernel evaluations. */
    static final int MAX_PROTOTYPE_SET = 5000;

    private final ServedModels models;
    private final ExplainPool pool;
    private final MemoryBudget budget;
    private final AnswerChannels channels;
    private final RequestLimits limits;

    ExampleServiceImpl(ServedModels models, ExplainPool pool, MemoryBudget budget, AnswerChannels channels,
                       RequestLimits limits) {
        this.models = models;
        this.pool = pool;
        this.budget = budget;
        this.channels = channels;
        this.limits = limits;
    }

    @Override
    public void explainByExample(ExplainByExampleRequest request, StreamObserver<ExplainByExampleResponse> observer) {
        AnswerChannel<ExplainByExampleResponse> channel = channels.open(observer);
        RequestContext context = channel.context();
        try {
            ServedModel model = models.acquire(request.getModel(), "model", context);
            ExampleIndex examples = model.requireExamples();
            if (!request.hasInstances()) {
                throw PrismException.invalid(Reason.INVALID_TENSOR, "instances", "is required");
            }
            RowBlock rows = ExplainRequestCodec.decodeInputs(List.of(request.getInstances()), model.signature(),
                    "instances");
            check(request, rows.rows(), examples);
            if (request.getSpace() == ExampleSpace.EXAMPLE_SPACE_EMBEDDING && examples.embedding() == null) {
                throw new PrismException(Reason.METHOD_UNSUPPORTED_FOR_MODEL, "model '" + model.name()
                        + "' has no embedding space: its config names no embedding_output");
            }
            if (request.hasUnlikeNeighbour() && examples.unlike() == null) {
                throw new PrismException(Reason.METHOD_UNSUPPORTED_FOR_MODEL, "model '" + model.name()
                        + "' is not a classifier (output_kind " + model.signature().outputKind()
                        + "), so no reference case is predicted in another class: leave unlike_neighbour out");
            }
            channel.hold(budget.reserve(footprint(request, rows.rows(), model.signature(), examples),
                    "explanations by example of " + rows.rows() + " instances"));
            model.scheduler().admit();
            if (embeddingSpace(request)) {
                examples.embedder().admit();
            }
            ExplainPool.Task task = pool.submit(model.name() + " (examples)", channel.deadlineNanos(),
                    () -> run(model, examples, request, rows, context, channel));
            context.onCancel(() -> {
                if (pool.withdraw(task)) {
                    task.body.run();
                }
            });
        } catch (Throwable e) {
            end(context, channel);
            channel.fail(StatusMapper.toStatus(e));
        }
    }

    /** The request's limits, every violation named at once. */
    private void check(ExplainByExampleRequest request, int instances, ExampleIndex examples) {
        List<FieldViolation> violations = new ArrayList<>();
        if (instances > limits.maxInstances()) {
            violations.add(new FieldViolation("instances", instances + " instances is more than this server's"
                    + " limit max_instances = " + limits.maxInstances() + "; send them in several requests"));
        }
        if (request.getK() < 0 || request.getK() > MAX_K) {
            violations.add(new FieldViolation("k", "must be in [0, " + MAX_K + "], not " + request.getK()));
        }
        if (request.getSpace() == ExampleSpace.UNRECOGNIZED) {
            violations.add(new FieldViolation("space", "unknown space " + request.getSpaceValue()));
        }
        if (request.hasUnlikeNeighbour()) {
            double t = request.getUnlikeNeighbour().getThreshold();
            if (!(t >= 0) || Double.isInfinite(t)) {
                violations.add(new FieldViolation("unlike_neighbour.threshold", "must be finite and at least 0, not "
                        + t));
            }
        }
        if (request.hasPrototypes()) {
            PrototypeOptions p = request.getPrototypes();
            int n = reference(p) ? examples.rows().rows() : instances;
            if (p.getSetValue() < 0 || p.getSetValue() > ExampleSet.EXAMPLE_SET_REFERENCE_VALUE) {
                violations.add(new FieldViolation("prototypes.set", "unknown set " + p.getSetValue()));
            } else if (n > MAX_PROTOTYPE_SET) {
                violations.add(new FieldViolation("prototypes.set", "the set has " + n + " members, more than this"
                        + " server's limit of " + MAX_PROTOTYPE_SET + " for prototypes and criticisms"));
            }
            if (p.getPrototypes() < 1 || p.getPrototypes() > n) {
                violations.add(new FieldViolation("prototypes.prototypes", "must be in [1, " + n + "] (the set's"
                        + " size), not " + p.getPrototypes()));
            } else if (p.getCriticisms() < 0 || p.getCriticisms() > n - p.getPrototypes()) {
                violations.add(new FieldViolation("prototypes.criticisms", "must be in [0, "
                        + (n - p.getPrototypes()) + "] (the members left after the prototypes), not "
                        + p.getCriticisms()));
            }
            if (p.hasBandwidth() && (!(p.getBandwidth() > 0) || Double.isInfinite(p.getBandwidth()))) {
                violations.add(new FieldViolation("prototypes.bandwidth", "must be finite and positive, not "
                        + p.getBandwidth()));
            }
        }
        if (!violations.isEmpty()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, violations);
        }
    }

    private static boolean reference(PrototypeOptions p) {
        return p.getSet() == ExampleSet.EXAMPLE_SET_REFERENCE;
    }

    private static boolean embeddingSpace(ExplainByExampleRequest request) {
        return request.getSpace() == ExampleSpace.EXAMPLE_SPACE_EMBEDDING;
    }

    /**
     * The decoded rows, their predictions (and embeddings) and the answer, each copied a few times on
     * its way out.
     */
    private static long footprint(ExplainByExampleRequest request, int instances, ModelSignature sig,
                                  ExampleIndex index) {
        int embedding = embeddingSpace(request) ? index.embeddings().width() : 0;
        long perExample = 8L * (sig.featureCount() + sig.outputCount() + embedding) + 64;
        long examples = (long) instances * (request.getK() + (request.hasUnlikeNeighbour() ? 1 : 0));
        long set = request.hasPrototypes() ? 64L * MAX_PROTOTYPE_SET : 0;
        return request.getSerializedSize() + (long) instances * perExample
                + RequestFootprint.ANSWER_COPIES * examples * perExample + set;
    }

    private static void run(ServedModel model, ExampleIndex examples, ExplainByExampleRequest request, RowBlock rows,
                            RequestContext context, AnswerChannel<ExplainByExampleResponse> channel) {
        try {
            context.throwIfCancelled();
            RowBlock predictions = model.scheduler().open(context).submit(rows).join();
            RowBlock embeddings = embeddingSpace(request) ? examples.embedder().open(context).submit(rows).join()
                    : null;
            channel.finish(List.of(answer(model, examples, request, rows, predictions, embeddings,
                    context::throwIfCancelled)));
        } catch (Throwable t) {
            channel.fail(StatusMapper.toStatus(t instanceof java.util.concurrent.CompletionException
                    && t.getCause() != null ? t.getCause() : t));
        } finally {
            end(context, channel);
        }
    }

    private static void end(RequestContext context, AnswerChannel<?> channel) {
        context.release();
        channel.workEnded();
    }

    /** @param embeddings the instances' embeddings in the embedding space, else null */
    static ExplainByExampleResponse answer(ServedModel model, ExampleIndex examples, ExplainByExampleRequest request,
                                           RowBlock rows, RowBlock predictions, RowBlock embeddings,
                                           Cancellation cancellation) {
        ModelSignature sig = model.signature();
        ExplainByExampleResponse.Builder out = ExplainByExampleResponse.newBuilder().setModel(model.name())
                .setModelVersion(model.version()).addAllFeatureNames(sig.featureNames())
                .addAllOutputNames(sig.outputNames());
        RowBlock points = points(request, rows, predictions, embeddings);
        ReferenceIndex space = referenceSpace(request, examples);
        for (int i = 0; i < rows.rows(); i++) {
            double[] instance = rows.row(i);
            double[] prediction = predictions.row(i);
            InstanceExamples.Builder e = InstanceExamples.newBuilder();
            for (double v : prediction) {
                e.addPrediction(v);
            }
            if (embeddings != null) {
                for (double v : embeddings.row(i)) {
                    e.addEmbedding(v);
                }
            }
            int predictedClass = examples.classes() == null ? -1 : ExampleIndex.predictedClass(sig, prediction);
            e.setPredictedClass(predictedClass);
            if (request.getK() > 0) {
                Neighbours nearest = space.nearest(points.row(i), request.getK(), cancellation);
                for (int n = 0; n < nearest.size(); n++) {
                    e.addNeighbours(example(examples, nearest.rows()[n], nearest.distances()[n]));
                }
            }
            if (request.hasUnlikeNeighbour()) {
                Optional<NearestUnlikeNeighbour.Answer> unlike = examples.unlike().find(instance, predictedClass,
                        request.getUnlikeNeighbour().getThreshold(), cancellation);
                unlike.ifPresent(a -> e.setUnlikeNeighbour(unlike(sig, examples, instance, a)));
            }
            out.addInstances(e);
        }
        if (request.hasPrototypes()) {
            out.setPrototypes(prototypes(request, examples, rows, points, sig, cancellation));
        }
        return out.build();
    }

    /** The reference set's index in the request's space. */
    private static ReferenceIndex referenceSpace(ExplainByExampleRequest request, ExampleIndex examples) {
        return switch (request.getSpace()) {
            case EXAMPLE_SPACE_OUTPUT -> examples.output();
            case EXAMPLE_SPACE_EMBEDDING -> examples.embedding();
            default -> examples.input();
        };
    }

    /** The instances as points of the request's space: their values, predictions or embeddings. */
    private static RowBlock points(ExplainByExampleRequest request, RowBlock rows, RowBlock predictions,
                                   RowBlock embeddings) {
        return switch (request.getSpace()) {
            case EXAMPLE_SPACE_OUTPUT -> predictions;
            case EXAMPLE_SPACE_EMBEDDING -> embeddings;
            default -> rows;
        };
    }

    private static ReferenceExample example(ExampleIndex examples, int row, double distance) {
        ReferenceExample.Builder b = ReferenceExample.newBuilder().setRow(row).setDistance(distance)
                .setPredictedClass(examples.classOf(row));
        for (double v : examples.rows().row(row)) {
            b.addValues(v);
        }
        for (double v : examples.predictions().row(row)) {
            b.addPrediction(v);
        }
        if (examples.labels() != null) {
            b.setLabel(examples.labels()[row]);
        }
        return b.build();
    }

    private static UnlikeNeighbour unlike(ModelSignature sig, ExampleIndex examples, double[] instance,
                                          NearestUnlikeNeighbour.Answer a) {
        UnlikeNeighbour.Builder b = UnlikeNeighbour.newBuilder().setExample(example(examples, a.row(), a.distance()));
        for (NearestUnlikeNeighbour.DifferingFeature f : a.differing()) {
            b.addDifferingFeatures(DifferingFeature.newBuilder().setName(sig.featureNames().get(f.feature()))
                    .setIndex(f.feature()).setInstanceValue(instance[f.feature()])
                    .setNeighbourValue(examples.rows().get(a.row(), f.feature()))
                    .setStandardisedDifference(f.difference()));
        }
        return b.build();
    }

    /**
     * MMD-critic over the reference set (in its indexes) or over the instances, whose index is
     * built here from them alone: in input space standardised by the instances' own statistics.
     *
     * @param points the instances in the request's space
     */
    private static PrototypesAndCriticisms prototypes(ExplainByExampleRequest request, ExampleIndex examples,
                                                      RowBlock rows, RowBlock points, ModelSignature sig,
                                                      Cancellation cancellation) {
        PrototypeOptions p = request.getPrototypes();
        boolean input = points == rows;
        ReferenceIndex space;
        ExampleSet set;
        if (reference(p)) {
            set = ExampleSet.EXAMPLE_SET_REFERENCE;
            space = referenceSpace(request, examples);
        } else {
            set = ExampleSet.EXAMPLE_SET_INSTANCES;
            space = input ? ReferenceIndex.inputSpace(rows, categorical(examples, sig), null, cancellation)
                    : ReferenceIndex.euclidean(points, null, cancellation);
        }
        MmdCritic.Selection s = p.hasBandwidth()
                ? MmdCritic.select(space, null, p.getPrototypes(), p.getCriticisms(), p.getBandwidth(), cancellation)
                : MmdCritic.select(space, null, p.getPrototypes(), p.getCriticisms(), cancellation);
        PrototypesAndCriticisms.Builder b = PrototypesAndCriticisms.newBuilder().setSet(set)
                .setBandwidth(s.bandwidth());
        for (int i = 0; i < s.prototypes().length; i++) {
            b.addPrototypes(dev.prism.api.v1.Prototype.newBuilder().setIndex(s.prototypes()[i])
                    .setMmdSquared(s.mmdSquared()[i]));
        }
        for (int i = 0; i < s.criticisms().length; i++) {
            b.addCriticisms(dev.prism.api.v1.Criticism.newBuilder().setIndex(s.criticisms()[i])
                    .setWitness(s.witness()[i]));
        }
        return b.build();
    }

    private static boolean[] categorical(ExampleIndex examples, ModelSignature sig) {
        boolean[] out = new boolean[sig.featureCount()];
        for (int j = 0; j < out.length; j++) {
            out[j] = examples.input().categorical(j);
        }
        return out;
    }
}
