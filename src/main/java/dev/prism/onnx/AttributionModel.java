package dev.prism.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.prism.error.InternalFailure;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.model.AttributionKind;
import dev.prism.model.Model;
import dev.prism.model.ModelSignature;
import dev.prism.model.OutputKind;
import dev.prism.model.RowBatch;
import dev.prism.onnx.graph.AttributionCompiler;
import dev.prism.tensor.DType;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A compiled attribution graph in its own ONNX Runtime session, exchanging rows in its
 * {@link AttributionKind}'s layout: each row is split into the graph's instance, reference and seed
 * inputs, and its attributions and scores are joined back into one row.
 */
final class AttributionModel implements Model {
    private static final System.Logger LOG = System.getLogger(AttributionModel.class.getName());
    private final OrtEnvironment env;
    private final OrtSession session;
    private final AttributionKind kind;
    private final ExecutionDevice device;
    private final ArenaRelease arena;
    private final long[] instanceDims;
    private final int features;
    private final int outputs;
    private final ModelSignature signature;
    private final Set<String> fetched;
    /** The graph's kind and target ("deep_lift_logits"), named in the server's log when a run fails. */
    private final String name;
    private final ThreadLocal<Buffers> buffers = ThreadLocal.withInitial(Buffers::new);

    AttributionModel(OrtEnvironment env, OrtSession session, AttributionKind kind, ExecutionDevice device,
                     int[] instanceShape, int outputs, String name) {
        this.env = env;
        this.session = session;
        this.name = name;
        this.kind = kind;
        this.device = device;
        this.arena = ArenaRelease.forDevice(device);
        this.instanceDims = new long[instanceShape.length];
        int size = 1;
        for (int i = 0; i < instanceShape.length; i++) {
            instanceDims[i] = instanceShape[i];
            size *= instanceShape[i];
        }
        this.features = size;
        this.outputs = outputs;
        int in = kind.inputWidth(features, outputs);
        int out = kind.outputWidth(features);
        this.signature = new ModelSignature(
                List.of(new TensorSpec(name + "_rows", DType.FLOAT32, new long[] {-1, in})),
                List.of(new TensorSpec(name + "_attributions", DType.FLOAT32, new long[] {-1, out})),
                new TensorSpec(name + "_rows", DType.FLOAT32, new long[] {-1, in}),
                List.of(new TensorSpec(name + "_attributions", DType.FLOAT32, new long[] {-1, out})),
                columns("in", in), columns("out", out), OutputKind.UNSPECIFIED);
        this.fetched = kind == AttributionKind.DEEP_LIFT
                ? Set.of(AttributionCompiler.ATTRIBUTIONS, AttributionCompiler.SCORE, AttributionCompiler.REFERENCE_SCORE)
                : Set.of(AttributionCompiler.ATTRIBUTIONS, AttributionCompiler.SCORE);
    }

    private static List<String> columns(String prefix, int n) {
        List<String> names = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            names.add(prefix + i);
        }
        return names;
    }

    @Override
    public ModelSignature signature() {
        return signature;
    }

    @Override
    public String device() {
        return device.toString();
    }

    @Override
    public RowBlock run(RowBatch batch) {
        return run(batch, null);
    }

    /**
     * One zero row, run with arena shrinkage: ONNX Runtime frees the chunks of its arena that
     * nothing uses when that run ends, so a burst's memory goes back once the model is idle.
     */
    @Override
    public void releaseIdleMemory() {
        run(RowBatch.of(RowBlock.zeros(1, signature.featureCount())), arena.shrinking());
    }

    /** Runs the batch, with the given run options or, when null, the defaults. */
    private RowBlock run(RowBatch batch, OrtSession.RunOptions options) {
        int rows = batch.rows();
        int width = batch.width();
        Buffers b = buffers.get();
        float[] values = b.rows(Math.multiplyExact(rows, width));
        int offset = 0;
        for (RowBatch.Segment s : batch.segments()) {
            s.source().copyRows(s.from(), s.count(), values, offset);
            offset += s.count() * width;
        }
        boolean deepLift = kind == AttributionKind.DEEP_LIFT;
        FloatBuffer instances = b.direct(0, rows * features);
        FloatBuffer references = deepLift ? b.direct(1, rows * features) : null;
        FloatBuffer seeds = b.direct(2, rows * outputs);
        for (int r = 0; r < rows; r++) {
            int at = r * width;
            instances.put(values, at, features);
            if (deepLift) {
                references.put(values, at + features, features);
                at += features;
            }
            seeds.put(values, at + features, outputs);
        }
        long[] shape = new long[instanceDims.length + 1];
        shape[0] = rows;
        System.arraycopy(instanceDims, 0, shape, 1, instanceDims.length);
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put(AttributionCompiler.INSTANCES, OnnxTensor.createTensor(env, instances.flip(), shape));
            if (deepLift) {
                inputs.put(AttributionCompiler.REFERENCES, OnnxTensor.createTensor(env, references.flip(), shape));
            }
            inputs.put(AttributionCompiler.SEED, OnnxTensor.createTensor(env, seeds.flip(), new long[] {rows, outputs}));
            try (OrtSession.Result result = run(inputs, options)) {
                return rows(result, rows, deepLift);
            }
        } catch (OrtException e) {
            throw InternalFailure.logged(LOG, "attribution graph " + name, Reason.MODEL_EXECUTION_FAILED,
                    "the attribution graph failed in ONNX Runtime", e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    private RowBlock rows(OrtSession.Result result, int rows, boolean deepLift) {
        int width = kind.outputWidth(features);
        double[] out = new double[Math.multiplyExact(rows, width)];
        FloatBuffer attributions = floats(result, AttributionCompiler.ATTRIBUTIONS, (long) rows * features);
        FloatBuffer score = floats(result, AttributionCompiler.SCORE, rows);
        FloatBuffer referenceScore = deepLift ? floats(result, AttributionCompiler.REFERENCE_SCORE, rows) : null;
        for (int r = 0; r < rows; r++) {
            int at = r * width;
            for (int j = 0; j < features; j++) {
                out[at + j] = attributions.get();
            }
            out[at + features] = score.get();
            if (deepLift) {
                out[at + features + 1] = referenceScore.get();
            }
        }
        return new RowBlock(rows, width, out);
    }

    private static FloatBuffer floats(OrtSession.Result result, String name, long expected) {
        OnnxTensor t = (OnnxTensor) result.get(name).orElseThrow();
        if (t.getInfo().getNumElements() != expected) {
            throw new PrismException(Reason.MODEL_EXECUTION_FAILED, "attribution output " + name + " has "
                    + t.getInfo().getNumElements() + " values, expected " + expected);
        }
        return t.getFloatBuffer();
    }

    private OrtSession.Result run(Map<String, OnnxTensor> inputs, OrtSession.RunOptions options) throws OrtException {
        return options == null ? session.run(inputs, fetched) : session.run(inputs, fetched, options);
    }

    @Override
    public void close() {
        try {
            arena.close();
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("closing the attribution session failed", e);
        }
    }

    /** A worker's reusable heap rows and direct, native-order input buffers. */
    private static final class Buffers {
        private float[] rows = new float[0];
        private final ByteBuffer[] direct = {ByteBuffer.allocateDirect(0), ByteBuffer.allocateDirect(0),
                ByteBuffer.allocateDirect(0)};

        float[] rows(int n) {
            if (rows.length < n) {
                rows = new float[n];
            }
            return rows;
        }

        FloatBuffer direct(int i, int floats) {
            if (direct[i].capacity() < floats * 4) {
                direct[i] = ByteBuffer.allocateDirect(floats * 4).order(ByteOrder.nativeOrder());
            }
            direct[i].clear();
            return direct[i].asFloatBuffer();
        }
    }
}
