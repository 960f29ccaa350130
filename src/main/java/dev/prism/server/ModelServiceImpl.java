package dev.prism.server;

import dev.prism.api.v1.GetModelRequest;
import dev.prism.api.v1.ListModelsRequest;
import dev.prism.api.v1.ListModelsResponse;
import dev.prism.api.v1.ModelInfo;
import dev.prism.api.v1.ModelServiceGrpc;
import dev.prism.api.v1.OutputKind;
import dev.prism.api.v1.PredictRequest;
import dev.prism.api.v1.PredictResponse;
import dev.prism.api.v1.RefusedModel;
import dev.prism.api.v1.ReloadModelsRequest;
import dev.prism.api.v1.ReloadModelsResponse;
import dev.prism.api.v1.Tensor;
import dev.prism.api.v1.TensorSpec;
import dev.prism.api.v1.TreeEnsembleInfo;
import dev.prism.api.v1.UnsupportedMethod;
import dev.prism.batch.BatchScheduler;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.model.Background;
import dev.prism.model.ModelSignature;
import dev.prism.runner.RequestContext;
import dev.prism.server.security.ModelGrant;
import dev.prism.tensor.RowBlock;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Optional;

/**
 * ListModels (the models the call's token may use), GetModel, Predict and ReloadModels. Predict is
 * admitted like an explanation (instance limit, memory budget, a fair place in the explain pool) and
 * goes through the model's scheduler without blocking a thread.
 */
final class ModelServiceImpl extends ModelServiceGrpc.ModelServiceImplBase {
    /** Background rows GetModel returns at most: enough to show or prefill, small in any answer. */
    static final int MAX_BACKGROUND_SAMPLE = 100;

    private final ServedModels models;
    private final ModelReloader reloader;
    private final ExplainPool pool;
    private final MemoryBudget budget;
    private final AnswerChannels channels;
    private final RequestLimits limits;

    ModelServiceImpl(ServedModels models, ModelReloader reloader, ExplainPool pool, MemoryBudget budget,
                     AnswerChannels channels, RequestLimits limits) {
        this.models = models;
        this.reloader = reloader;
        this.pool = pool;
        this.budget = budget;
        this.channels = channels;
        this.limits = limits;
    }

    @Override
    public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> observer) {
        try {
            ListModelsResponse.Builder r = ListModelsResponse.newBuilder();
            models.visible().forEach(m -> r.addModels(info(m)));
            observer.onNext(r.build());
            observer.onCompleted();
        } catch (Throwable e) {
            observer.onError(StatusMapper.toStatus(e));
        }
    }

    @Override
    public void getModel(GetModelRequest request, StreamObserver<ModelInfo> observer) {
        try {
            int sampleRows = request.getBackgroundRows();
            if (sampleRows < 0 || sampleRows > MAX_BACKGROUND_SAMPLE) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, "background_rows", "must be in [0, "
                        + MAX_BACKGROUND_SAMPLE + "], not " + sampleRows);
            }
            ServedModel model = models.require(request.getName(), "name");
            ModelInfo info = info(model);
            Optional<Background> background = model.entry().defaultBackground();
            if (sampleRows > 0 && background.isPresent()) {
                info = info.toBuilder().setBackgroundSample(backgroundSample(model, background.get(), sampleRows))
                        .build();
            }
            observer.onNext(info);
            observer.onCompleted();
        } catch (Throwable e) {
            observer.onError(StatusMapper.toStatus(e));
        }
    }

    /**
     * Decodes and admits on the gRPC thread (instance limit, memory), then hands the rows to the
     * model's scheduler from the explain pool, in the model's own prediction lane; the outputs are
     * copied and the answer built on the scheduler's thread, never on a gRPC thread.
     */
    @Override
    public void predict(PredictRequest request, StreamObserver<PredictResponse> observer) {
        AnswerChannel<PredictResponse> channel = channels.open(observer);
        RequestContext context = channel.context();
        try {
            ServedModel model = models.acquire(request.getModel(), "model", context);
            RowBlock rows = ExplainRequestCodec.decodeInputs(request.getInputsList(), model, "inputs");
            if (rows.rows() > limits.maxInstances()) {
                throw PrismException.invalid(Reason.BUDGET_EXCEEDED, "inputs", rows.rows() + " instances is more"
                        + " than this server's limit max_instances = " + limits.maxInstances()
                        + "; send them in several requests");
            }
            BatchScheduler scheduler = model.scheduler();
            channel.hold(budget.reserve(RequestFootprint.prediction(request, rows.rows(), scheduler.inputWidth(),
                    scheduler.outputWidth()), "a prediction of " + rows.rows() + " instances"));
            scheduler.admit();
            ExplainPool.Task task = pool.submit(model.name() + " (predictions)", channel.deadlineNanos(),
                    () -> run(model, rows, context, channel));
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

    private static void run(ServedModel model, RowBlock rows, RequestContext context,
                            AnswerChannel<PredictResponse> channel) {
        try {
            context.throwIfCancelled();
            model.scheduler().open(context).submit(rows).whenComplete((out, failure) -> {
                try {
                    if (failure != null) {
                        channel.fail(StatusMapper.toStatus(failure));
                    } else {
                        channel.finish(List.of(response(model, out)));
                    }
                } catch (Throwable t) {
                    channel.fail(StatusMapper.toStatus(t));
                } finally {
                    end(context, channel);
                }
            });
        } catch (Throwable t) {
            end(context, channel);
            channel.fail(StatusMapper.toStatus(t));
        }
    }

    /** The answer is out or never will be: the job ends, giving back the model version and its scheduler job. */
    private static void end(RequestContext context, AnswerChannel<?> channel) {
        context.release();
        channel.workEnded();
    }


    @Override
    public void reloadModels(ReloadModelsRequest request, StreamObserver<ReloadModelsResponse> observer) {
        try {
            ModelGrant.requireAll("reloading models");
            ReloadResult result = reloader.reload();
            ReloadModelsResponse.Builder r = ReloadModelsResponse.newBuilder()
                    .addAllAdded(result.added()).addAllReplaced(result.replaced()).addAllRemoved(result.removed());
            result.refused().forEach((name, why) -> r.addRefused(RefusedModel.newBuilder().setName(name).setReason(why)));
            r.setTokensReloaded(result.tokens().reloaded());
            if (result.tokens().refusal() != null) {
                r.setTokensRefused(result.tokens().refusal());
            }
            observer.onNext(r.build());
            observer.onCompleted();
        } catch (Throwable e) {
            observer.onError(StatusMapper.toStatus(e));
        }
    }

    private static PredictResponse response(ServedModel model, RowBlock out) {
        ModelSignature sig = model.signature();
        PredictResponse.Builder r = PredictResponse.newBuilder().setModel(model.name());
        int column = 0;
        for (dev.prism.tensor.TensorSpec spec : sig.scoreOutputs()) {
            int width = spec.instanceSize();
            int[] dims = spec.instanceShape();
            long[] shape = new long[dims.length + 1];
            shape[0] = out.rows();
            for (int i = 0; i < dims.length; i++) {
                shape[i + 1] = dims[i];
            }
            double[] values = new double[out.rows() * width];
            for (int row = 0; row < out.rows(); row++) {
                System.arraycopy(out.data(), row * out.width() + column, values, row * width, width);
            }
            r.addOutputs(TensorCodec.encode(spec.name(), shape, values));
            column += width;
        }
        return r.build();
    }

    /** The first rows of the background, shaped and typed like the explained input. */
    private static Tensor backgroundSample(ServedModel model, Background background, int rows) {
        int n = Math.min(rows, background.size());
        dev.prism.tensor.TensorSpec input = model.signature().explainedInput();
        int width = model.signature().featureCount();
        Tensor.Builder t = Tensor.newBuilder().setName(input.name())
                .setDtype(TensorCodec.dataType(input.dtype())).addShape(n);
        for (int d : input.instanceShape()) {
            t.addShape(d);
        }
        double[] values = background.rows().data();
        for (int i = 0; i < n * width; i++) {
            t.addDoubleData(values[i]);
        }
        return t.build();
    }

    static ModelInfo info(ServedModel m) {
        ModelSignature sig = m.signature();
        ModelInfo.Builder b = ModelInfo.newBuilder()
                .setName(m.name())
                .setVersion(m.version())
                .setExplainedInput(sig.explainedInput().name())
                .addAllFeatureNames(sig.featureNames())
                .addAllOutputNames(sig.outputNames())
                .setOutputKind(switch (sig.outputKind()) {
                    case PROBABILITY -> OutputKind.OUTPUT_KIND_PROBABILITY;
                    case LOGIT -> OutputKind.OUTPUT_KIND_LOGIT;
                    case REGRESSION -> OutputKind.OUTPUT_KIND_REGRESSION;
                    case UNSPECIFIED -> OutputKind.OUTPUT_KIND_UNSPECIFIED;
                })
                .setHasLogits(m.hasLogits())
                .setDefaultBackgroundRows(m.entry().defaultBackground().map(bg -> bg.size()).orElse(0))
                .setDevice(m.entry().model().device())
                .setMaxBatchRows(m.scheduler().settings().maxBatchRows())
                .setMaxQueueDelayMicros(m.scheduler().settings().maxQueueDelayMicros());
        for (MethodTable.Entry<?> e : MethodTable.entries()) {
            m.unsupported(e.method()).ifPresentOrElse(
                    reason -> b.addUnsupportedMethods(UnsupportedMethod.newBuilder().setMethod(e.api()).setReason(reason)),
                    () -> b.addMethods(e.api()).addMethodDetails(e.info()));
        }
        m.entry().model().trees().ifPresent(trees -> b.setTrees(TreeEnsembleInfo.newBuilder()
                .setTrees(trees.treeCount()).setMaxDepth(trees.maxDepth()).setLeaves(trees.leafCount())
                .setStatedCovers(trees.covers().isPresent())
                .setStatedCoversUnusable(trees.coversUnusable().orElse(""))));
        for (int c : m.entry().categoricalFeatures()) {
            b.addCategoricalFeatures(sig.featureNames().get(c));
        }
        sig.inputs().forEach(s -> b.addInputs(spec(s)));
        sig.outputs().forEach(s -> b.addOutputs(spec(s)));
        sig.scoreOutputs().forEach(s -> b.addScoreOutputs(s.name()));
        return b.build();
    }

    private static TensorSpec spec(dev.prism.tensor.TensorSpec s) {
        TensorSpec.Builder t = TensorSpec.newBuilder().setName(s.name()).setDtype(TensorCodec.dataType(s.dtype()));
        for (long d : s.shape()) {
            t.addShape(d);
        }
        return t.build();
    }
}
