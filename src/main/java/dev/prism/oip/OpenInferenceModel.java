package dev.prism.oip;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.model.AttributionGraphs;
import dev.prism.model.Model;
import dev.prism.model.ModelSignature;
import dev.prism.model.RowBatch;
import dev.prism.repository.OpenInferenceBackend;
import dev.prism.tensor.DType;
import dev.prism.tensor.LittleEndian;
import dev.prism.tensor.RowBlock;
import dev.prism.tensor.TensorSpec;
import inference.GRPCInferenceServiceGrpc;
import inference.OpenInferenceGrpc.InferTensorContents;
import inference.OpenInferenceGrpc.ModelInferRequest;
import inference.OpenInferenceGrpc.ModelInferResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A model another server serves over the Open Inference Protocol. A run sends its rows as ModelInfer
 * calls with raw little-endian contents, at most {@link #MAX_REQUEST_BYTES} each (the common default
 * limit of a gRPC server's inbound message) and {@link #CALLS_IN_FLIGHT} at a time, and asks for the
 * score outputs only; an answer may not be much larger than those outputs. Each call has the backend's timeout as its deadline; while it waits, the run
 * checks whether anyone still waits for its rows, and cancels its calls once nobody does. Runs may
 * overlap: the channel and stub are thread-safe and a run keeps its state on its own stack.
 */
final class OpenInferenceModel implements Model {
    static final int MAX_REQUEST_BYTES = (4 << 20) - (64 << 10);
    static final int CALLS_IN_FLIGHT = 4;
    /** How often a waiting run looks whether its rows are still wanted. */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final Duration RETRY_AFTER = Duration.ofSeconds(1);
    /** How grpc-java begins the status of a message over the call's inbound limit. */
    private static final String TOO_LARGE = "gRPC message exceeds maximum size";
    /** Characters of a backend's message that reach a client. */
    private static final int MAX_MESSAGE_CHARS = 300;

    private static final String NO_GRAPH = "the model runs on an Open Inference Protocol backend, which does not"
            + " share its graph";

    private final ManagedChannel channel;
    private final GRPCInferenceServiceGrpc.GRPCInferenceServiceFutureStub stub;
    private final OpenInferenceBackend backend;
    private final ModelSignature signature;
    private final TensorSpec input;
    private final int width;
    private final int rowsPerCall;

    OpenInferenceModel(ManagedChannel channel, OpenInferenceBackend backend, ModelSignature signature) {
        this.channel = channel;
        this.stub = GRPCInferenceServiceGrpc.newFutureStub(channel);
        this.backend = backend;
        this.signature = signature;
        this.input = signature.explainedInput();
        this.width = signature.featureCount();
        this.rowsPerCall = Math.max(1, MAX_REQUEST_BYTES / (width * input.dtype().bytes()));
    }

    @Override
    public ModelSignature signature() {
        return signature;
    }

    @Override
    public String device() {
        return "oip:" + backend.target();
    }

    @Override
    public AttributionGraphs attributionGraphs() {
        return AttributionGraphs.none(NO_GRAPH);
    }

    @Override
    public Optional<String> treesUnsupported() {
        return Optional.of(NO_GRAPH);
    }

    @Override
    public RowBlock run(RowBatch batch) {
        int rows = batch.rows();
        double[] out = new double[Math.multiplyExact(rows, signature.outputCount())];
        ArrayDeque<Call> inFlight = new ArrayDeque<>();
        int next = 0;
        try {
            while (next < rows || !inFlight.isEmpty()) {
                while (next < rows && inFlight.size() < CALLS_IN_FLIGHT) {
                    int count = Math.min(rowsPerCall, rows - next);
                    inFlight.addLast(new Call(next, count, stub.withDeadlineAfter(backend.timeout().toNanos(),
                            TimeUnit.NANOSECONDS).withMaxInboundMessageSize(answerLimit(count))
                            .modelInfer(request(batch, next, count))));
                    next += count;
                }
                Call head = inFlight.peekFirst();
                read(await(head, batch), head.from, head.count, out);
                inFlight.pollFirst();
            }
        } finally {
            // Calls left when a run fails (or is abandoned) are not wanted any more.
            inFlight.forEach(c -> c.answer.cancel(true));
        }
        return new RowBlock(rows, signature.outputCount(), out);
    }

    /**
     * The most bytes an answer for count rows may take: its score values at 10 bytes each (the
     * widest encoding, a varint INT64) and a mebibyte for names, shapes and parameters. A backend
     * that answers more is refused by the transport before the answer is held.
     */
    private int answerLimit(int count) {
        return (int) Math.min(Integer.MAX_VALUE, (long) count * signature.outputCount() * 10 + (1 << 20));
    }

    private record Call(int from, int count, ListenableFuture<ModelInferResponse> answer) {}

    private ModelInferResponse await(Call call, RowBatch batch) {
        while (true) {
            try {
                return call.answer.get(POLL_NANOS, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                if (batch.abandoned()) {
                    throw new PrismException(Reason.CANCELLED, "the requests of these rows have ended");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PrismException(Reason.CANCELLED, "interrupted while the backend ran the rows");
            } catch (ExecutionException e) {
                throw failure(e.getCause());
            }
        }
    }

    private ModelInferRequest request(RowBatch batch, int from, int count) {
        long[] shape = input.shape();
        shape[0] = count;
        ModelInferRequest.InferInputTensor.Builder tensor = ModelInferRequest.InferInputTensor.newBuilder()
                .setName(input.name()).setDatatype(OipDatatypes.name(input.dtype()));
        for (long d : shape) {
            tensor.addShape(d);
        }
        ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName(backend.modelName())
                .setModelVersion(backend.modelVersion()).addInputs(tensor)
                .addRawInputContents(rawRows(batch, from, count));
        for (TensorSpec s : signature.scoreOutputs()) {
            request.addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName(s.name()));
        }
        return request.build();
    }

    /** Rows [from, from + count) of the batch, across its segments, in the input's datatype. */
    private ByteString rawRows(RowBatch batch, int from, int count) {
        // Filled exactly, then handed to the request without a copy: nothing writes it afterwards.
        ByteBuffer bytes = ByteBuffer.allocate(count * width * input.dtype().bytes()).order(ByteOrder.LITTLE_ENDIAN);
        float[] floats = input.dtype() == DType.FLOAT32 ? new float[width] : null;
        double[] doubles = floats == null ? new double[width] : null;
        int skip = from;
        int left = count;
        for (RowBatch.Segment s : batch.segments()) {
            if (skip >= s.count()) {
                skip -= s.count();
                continue;
            }
            int take = Math.min(left, s.count() - skip);
            for (int r = 0; r < take; r++) {
                int row = s.from() + skip + r;
                if (floats != null) {
                    s.source().copyRows(row, 1, floats, 0);
                    for (float v : floats) {
                        bytes.putFloat(v);
                    }
                } else {
                    s.source().copyRows(row, 1, doubles, 0);
                    for (double v : doubles) {
                        LittleEndian.write(bytes, input.dtype(), v);
                    }
                }
            }
            left -= take;
            skip = 0;
            if (left == 0) {
                break;
            }
        }
        return UnsafeByteOperations.unsafeWrap(bytes.array());
    }

    /** Writes the answer's score outputs into rows [from, from + count) of out, column by column. */
    private void read(ModelInferResponse answer, int from, int count, double[] out) {
        boolean raw = answer.getRawOutputContentsCount() > 0;
        if (raw && answer.getRawOutputContentsCount() != answer.getOutputsCount()) {
            throw wrongAnswer(answer.getRawOutputContentsCount() + " raw contents for " + answer.getOutputsCount()
                    + " outputs");
        }
        int columns = signature.outputCount();
        int column = 0;
        for (TensorSpec spec : signature.scoreOutputs()) {
            int index = indexOf(answer, spec.name());
            ModelInferResponse.InferOutputTensor tensor = answer.getOutputs(index);
            DType dtype = OipDatatypes.dtype(tensor.getDatatype());
            if (dtype == null) {
                throw wrongAnswer("output '" + spec.name() + "' came as " + tensor.getDatatype());
            }
            int perRow = spec.instanceSize();
            double[] values = raw ? rawValues(answer.getRawOutputContents(index), dtype)
                    : typedValues(tensor.getContents(), dtype);
            if (values.length != (long) count * perRow) {
                throw wrongAnswer("output '" + spec.name() + "' has " + values.length + " values for " + count
                        + " rows of " + perRow);
            }
            for (int r = 0; r < count; r++) {
                System.arraycopy(values, r * perRow, out, (from + r) * columns + column, perRow);
            }
            column += perRow;
        }
    }

    private static int indexOf(ModelInferResponse answer, String name) {
        for (int i = 0; i < answer.getOutputsCount(); i++) {
            if (answer.getOutputs(i).getName().equals(name)) {
                return i;
            }
        }
        throw new PrismException(Reason.MODEL_EXECUTION_FAILED, "the backend's answer has no output '" + name + "'");
    }

    private static double[] rawValues(ByteString raw, DType dtype) {
        try {
            return LittleEndian.read(raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN), dtype);
        } catch (IllegalArgumentException e) {
            throw new PrismException(Reason.MODEL_EXECUTION_FAILED, "the backend's raw output: " + e.getMessage());
        }
    }

    private static double[] typedValues(InferTensorContents c, DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> c.getFp32ContentsList().stream().mapToDouble(Float::doubleValue).toArray();
            case FLOAT64 -> c.getFp64ContentsList().stream().mapToDouble(Double::doubleValue).toArray();
            case INT32 -> c.getIntContentsList().stream().mapToDouble(Integer::doubleValue).toArray();
            case INT64 -> c.getInt64ContentsList().stream().mapToDouble(Long::doubleValue).toArray();
        };
    }

    private PrismException wrongAnswer(String what) {
        return new PrismException(Reason.MODEL_EXECUTION_FAILED, "the backend at " + backend.target()
                + " answered model '" + backend.modelName() + "' wrongly: " + what);
    }

    /** A failed call in Prism's words: the backend out of reach or too slow is worth a retry; a refusal is not. */
    private PrismException failure(Throwable cause) {
        Status status = Status.fromThrowable(cause);
        String message = "the backend at " + backend.target() + " ran model '" + backend.modelName() + "': "
                + describe(status);
        if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED && status.getDescription() != null
                && status.getDescription().startsWith(TOO_LARGE)) {
            // This side's limit (answerLimit), not an overloaded backend: its answer cannot be right.
            return new PrismException(Reason.MODEL_EXECUTION_FAILED, message);
        }
        return switch (status.getCode()) {
            case UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED ->
                    PrismException.retryLater(Reason.BACKEND_UNAVAILABLE, message, RETRY_AFTER);
            case CANCELLED -> new PrismException(Reason.CANCELLED, message);
            default -> new PrismException(Reason.MODEL_EXECUTION_FAILED, message);
        };
    }

    static String describe(StatusRuntimeException e) {
        return describe(e.getStatus());
    }

    private static String describe(Status status) {
        String description = status.getDescription() == null ? "" : status.getDescription();
        if (description.length() > MAX_MESSAGE_CHARS) {
            description = description.substring(0, MAX_MESSAGE_CHARS) + "...";
        }
        return status.getCode() + (description.isEmpty() ? "" : " " + description);
    }

    @Override
    public void close() {
        // Calls in flight finish; the model's scheduler has none left once it closes a model.
        channel.shutdown();
    }
}
