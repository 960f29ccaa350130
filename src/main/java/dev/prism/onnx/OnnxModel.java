package dev.prism.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.prism.error.InternalFailure;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.model.AttributionGraphs;
import dev.prism.model.Model;
import dev.prism.model.ModelSignature;
import dev.prism.model.RowBatch;
import dev.prism.repository.SignatureResolver;
import dev.prism.model.trees.TreeEnsemble;
import dev.prism.tensor.DType;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A model running in one ONNX Runtime session, which several scheduler workers may run at once.
 * Each worker fills its own direct, native-order input buffer, grown to the largest batch it has
 * seen and then reused; every tensor and result is closed.
 */
public final class OnnxModel implements Model {
    private static final System.Logger LOG = System.getLogger(OnnxModel.class.getName());
    private final OrtEnvironment env;
    private final OrtSession session;
    private final ModelSignature signature;
    /** The model file, named in the server's log when a run fails. */
    private final String source;
    private final ExecutionDevice device;
    private final ArenaRelease arena;
    private final Set<String> scoreNames;
    private final long[] instanceDims;
    private static final int SCRATCH_ROWS = 256;
    private final ThreadLocal<ByteBuffer> inputs = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(0));
    private final ThreadLocal<float[]> floatScratch = ThreadLocal.withInitial(() -> new float[0]);
    private final ThreadLocal<double[]> doubleScratch = ThreadLocal.withInitial(() -> new double[0]);

    private final AttributionGraphs attributionGraphs;
    private final TreeEnsemble trees;
    private final String treesUnsupported;
    /** False for a view of another model's outputs, which shares that model's session and arena. */
    private final boolean ownsSession;

    /** A model whose tree ensemble is not read yet: see {@link #withTrees}. */
    OnnxModel(OrtEnvironment env, OrtSession session, ModelSignature signature, String source, ExecutionDevice device,
              AttributionGraphs attributionGraphs) {
        this(env, session, signature, source, device, ArenaRelease.forDevice(device), attributionGraphs, null,
                "the model's tree ensemble has not been read", true);
    }

    private OnnxModel(OrtEnvironment env, OrtSession session, ModelSignature signature, String source,
                      ExecutionDevice device, ArenaRelease arena, AttributionGraphs attributionGraphs,
                      TreeEnsemble trees, String treesUnsupported, boolean ownsSession) {
        this.env = env;
        this.ownsSession = ownsSession;
        this.source = source;
        this.attributionGraphs = attributionGraphs;
        this.trees = trees;
        this.treesUnsupported = treesUnsupported;
        this.session = session;
        this.signature = signature;
        this.device = device;
        this.arena = arena;
        this.scoreNames = new LinkedHashSet<>();
        signature.scoreOutputs().forEach(s -> scoreNames.add(s.name()));
        int[] dims = signature.explainedInput().instanceShape();
        this.instanceDims = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
            instanceDims[i] = dims[i];
        }
    }

    /**
     * This model (same session, same runtime resources) with its tree ensemble settled; this one is
     * left to the garbage collector, never closed (closing either would close both).
     *
     * @param trees            the ensemble, or null
     * @param treesUnsupported why there is none, when trees is null
     */
    OnnxModel withTrees(TreeEnsemble trees, String treesUnsupported) {
        if ((trees == null) == (treesUnsupported == null)) {
            throw new IllegalArgumentException("an ensemble or a reason, not both or neither");
        }
        return new OnnxModel(env, session, signature, source, device, arena, attributionGraphs, trees,
                treesUnsupported, ownsSession);
    }

    @Override
    public Model outputView(String output) {
        return new OnnxModel(env, session, SignatureResolver.outputView(signature, output), source, device, arena,
                AttributionGraphs.none("a view of another output has no gradient graphs"), null,
                Model.NOT_A_TREE_ENSEMBLE, false);
    }

    @Override
    public ModelSignature signature() {
        return signature;
    }

    @Override
    public Optional<TreeEnsemble> trees() {
        return Optional.ofNullable(trees);
    }

    @Override
    public Optional<String> treesUnsupported() {
        return Optional.ofNullable(treesUnsupported);
    }

    @Override
    public AttributionGraphs attributionGraphs() {
        return attributionGraphs;
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
        TensorSpec in = signature.explainedInput();
        long[] shape = new long[instanceDims.length + 1];
        shape[0] = rows;
        System.arraycopy(instanceDims, 0, shape, 1, instanceDims.length);
        try (OnnxTensor tensor = fillInput(batch, in.dtype(), shape);
             OrtSession.Result result = run(Map.of(in.name(), tensor), options)) {
            int width = signature.outputCount();
            double[] out = new double[Math.multiplyExact(rows, width)];
            int column = 0;
            for (TensorSpec spec : signature.scoreOutputs()) {
                OnnxValue value = result.get(spec.name()).orElseThrow();
                column += copyOutput((OnnxTensor) value, spec, rows, out, column, width);
            }
            return new RowBlock(rows, width, out);
        } catch (OrtException e) {
            // The runtime's text speaks of the model's internals: the log has it, the client an id.
            throw InternalFailure.logged(LOG, "model " + source, Reason.MODEL_EXECUTION_FAILED,
                    "the model failed in ONNX Runtime", e);
        }
    }

    private OnnxTensor fillInput(RowBatch batch, DType dtype, long[] shape) throws OrtException {
        int elements = Math.multiplyExact(batch.rows(), batch.width());
        int bytes = Math.multiplyExact(elements, dtype.bytes());
        ByteBuffer input = inputs.get();
        if (input.capacity() < bytes) {
            input = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
            inputs.set(input);
        }
        input.clear();
        switch (dtype) {
            case FLOAT32 -> {
                FloatBuffer fb = input.asFloatBuffer();
                float[] rows = floatScratch.get();
                for (RowBatch.Segment s : batch.segments()) {
                    // Through a heap array in pieces of SCRATCH_ROWS rows: writing a direct buffer
                    // element by element costs several times more than one bulk put per piece.
                    for (int r = 0; r < s.count(); r += SCRATCH_ROWS) {
                        int n = Math.min(SCRATCH_ROWS, s.count() - r);
                        if (rows.length < n * batch.width()) {
                            rows = new float[n * batch.width()];
                        }
                        s.source().copyRows(s.from() + r, n, rows, 0);
                        fb.put(rows, 0, n * batch.width());
                    }
                }
                floatScratch.set(rows);
                return OnnxTensor.createTensor(env, fb.flip(), shape);
            }
            case FLOAT64 -> {
                DoubleBuffer db = input.asDoubleBuffer();
                forEachPiece(batch, (values, n) -> db.put(values, 0, n));
                return OnnxTensor.createTensor(env, db.flip(), shape);
            }
            case INT64 -> {
                LongBuffer lb = input.asLongBuffer();
                forEachPiece(batch, (values, n) -> {
                    for (int i = 0; i < n; i++) {
                        lb.put((long) values[i]);
                    }
                });
                return OnnxTensor.createTensor(env, lb.flip(), shape);
            }
            case INT32 -> {
                IntBuffer ib = input.asIntBuffer();
                forEachPiece(batch, (values, n) -> {
                    for (int i = 0; i < n; i++) {
                        ib.put((int) values[i]);
                    }
                });
                return OnnxTensor.createTensor(env, ib.flip(), shape);
            }
            default -> throw new IllegalStateException("unsupported input type " + dtype);
        }
    }

    private interface Piece {
        void accept(double[] values, int count);
    }

    /** Hands the batch's values over in pieces of SCRATCH_ROWS rows. */
    private void forEachPiece(RowBatch batch, Piece piece) {
        double[] rows = doubleScratch.get();
        for (RowBatch.Segment s : batch.segments()) {
            for (int r = 0; r < s.count(); r += SCRATCH_ROWS) {
                int n = Math.min(SCRATCH_ROWS, s.count() - r);
                if (rows.length < n * batch.width()) {
                    rows = new double[n * batch.width()];
                }
                s.source().copyRows(s.from() + r, n, rows, 0);
                piece.accept(rows, n * batch.width());
            }
        }
        doubleScratch.set(rows);
    }

    /** Copies one score output into its columns of out; returns its width. */
    private static int copyOutput(OnnxTensor t, TensorSpec spec, int rows, double[] out, int column, int width) {
        int w = spec.instanceSize();
        long[] shape = t.getInfo().getShape();
        long elements = t.getInfo().getNumElements();
        if (shape.length == 0 || shape[0] != rows || elements != (long) rows * w) {
            throw new PrismException(Reason.MODEL_EXECUTION_FAILED, "output " + spec.name() + " has shape "
                    + java.util.Arrays.toString(shape) + ", expected " + rows + " rows of " + w + " values");
        }
        switch (spec.dtype()) {
            case FLOAT32 -> {
                float[] values = new float[rows * w];
                t.getFloatBuffer().get(values);
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < w; j++) {
                        out[r * width + column + j] = values[r * w + j];
                    }
                }
            }
            case FLOAT64 -> {
                double[] values = new double[rows * w];
                t.getDoubleBuffer().get(values);
                for (int r = 0; r < rows; r++) {
                    System.arraycopy(values, r * w, out, r * width + column, w);
                }
            }
            default -> throw new PrismException(Reason.MODEL_EXECUTION_FAILED,
                    "score output " + spec.name() + " is " + spec.dtype() + ", not floating point");
        }
        return w;
    }

    /** Callers stop every run first: closing a session with runs in flight crashes the runtime. */
    private OrtSession.Result run(Map<String, OnnxTensor> inputs, OrtSession.RunOptions options) throws OrtException {
        return options == null ? session.run(inputs, scoreNames) : session.run(inputs, scoreNames, options);
    }

    @Override
    public void close() {
        if (!ownsSession) {
            return;
        }
        attributionGraphs.close();
        try {
            arena.close();
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("closing the session failed", e);
        }
    }
}
