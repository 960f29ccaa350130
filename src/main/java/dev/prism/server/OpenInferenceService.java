package dev.prism.server;

import com.google.protobuf.ByteString;
import dev.prism.PrismBuild;
import dev.prism.api.v1.DataType;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.PredictRequest;
import dev.prism.api.v1.PredictResponse;
import dev.prism.api.v1.Tensor;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.oip.OipDatatypes;
import dev.prism.tensor.DType;
import dev.prism.tensor.LittleEndian;
import dev.prism.tensor.TensorSpec;
import inference.GRPCInferenceServiceGrpc;
import inference.OpenInferenceGrpc.InferTensorContents;
import inference.OpenInferenceGrpc.ModelInferRequest;
import inference.OpenInferenceGrpc.ModelInferResponse;
import inference.OpenInferenceGrpc.ModelMetadataRequest;
import inference.OpenInferenceGrpc.ModelMetadataResponse;
import inference.OpenInferenceGrpc.ModelReadyRequest;
import inference.OpenInferenceGrpc.ModelReadyResponse;
import inference.OpenInferenceGrpc.ServerLiveRequest;
import inference.OpenInferenceGrpc.ServerLiveResponse;
import inference.OpenInferenceGrpc.ServerMetadataRequest;
import inference.OpenInferenceGrpc.ServerMetadataResponse;
import inference.OpenInferenceGrpc.ServerReadyRequest;
import inference.OpenInferenceGrpc.ServerReadyResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The Open Inference Protocol ({@code inference.GRPCInferenceService}, "KServe v2") on Prism's own
 * port, so that Triton's, KServe's and any other OIP client can use Prism's models: health, server
 * and model metadata, and ModelInfer. A ModelInfer is Prism's Predict in another wire format: its
 * tensors become a {@link PredictRequest}, which runs as every Predict does (the same admission,
 * memory budget, scheduler, deadline and cancellation), and the {@link PredictResponse} becomes the
 * OIP answer, raw when the request was raw, typed otherwise. The model's score outputs are its OIP
 * outputs, in the model's own datatype. Errors are Prism's statuses, with their details.
 *
 * <p>A ModelInfer whose parameters name a method ({@value #EXPLAIN}: e.g. "kernel_shap") is an
 * explanation instead: Prism's Explain of the inputs with the model's default background, the
 * method's options taken from the other parameters by their field names in its params message
 * (e.g. {@code nsamples}), {@code seed} the request's. It answers FP32 tensors {@code attributions}
 * [instances, features, outputs], {@code base_values} and {@code model_outputs} [instances,
 * outputs], and {@code standard_errors} when the method estimates them, with the method that ran,
 * the feature and output names as response parameters. Prism's own Explain stays the rich API.
 *
 * <p>The repository extension is {@link OpenInferenceRepository}'s, served beside these methods.
 */
final class OpenInferenceService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
    /** What ModelMetadata calls an ONNX model. */
    static final String PLATFORM = "onnx_onnxv1";

    /** The parameter that makes a ModelInfer an explanation, naming the method. */
    static final String EXPLAIN = "explain";

    private final ServedModels models;
    private final ModelServiceImpl predictions;
    private final ExplainServiceImpl explanations;
    private final BooleanSupplier serving;

    /** @param serving whether the server takes new work (false once it drains) */
    OpenInferenceService(ServedModels models, ModelServiceImpl predictions, ExplainServiceImpl explanations,
                         BooleanSupplier serving) {
        this.models = models;
        this.predictions = predictions;
        this.explanations = explanations;
        this.serving = serving;
    }

    @Override
    public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> observer) {
        observer.onNext(ServerLiveResponse.newBuilder().setLive(true).build());
        observer.onCompleted();
    }

    @Override
    public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> observer) {
        observer.onNext(ServerReadyResponse.newBuilder().setReady(serving.getAsBoolean()).build());
        observer.onCompleted();
    }

    @Override
    public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> observer) {
        observer.onNext(ServerMetadataResponse.newBuilder().setName("prism").setVersion(PrismBuild.version())
                .addExtensions(OpenInferenceRepository.EXTENSION).build());
        observer.onCompleted();
    }

    /** Ready when the model is served (in the asked version, if any); a model not served is not ready. */
    @Override
    public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> observer) {
        boolean ready;
        try {
            model(request.getName(), request.getVersion());
            ready = serving.getAsBoolean();
        } catch (PrismException e) {
            if (e.reason() != Reason.MODEL_NOT_FOUND) {
                observer.onError(StatusMapper.toStatus(e));
                return;
            }
            ready = false;
        }
        observer.onNext(ModelReadyResponse.newBuilder().setReady(ready).build());
        observer.onCompleted();
    }

    @Override
    public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> observer) {
        try {
            ServedModel m = model(request.getName(), request.getVersion());
            ModelMetadataResponse.Builder b = ModelMetadataResponse.newBuilder().setName(m.name())
                    .addVersions(m.version()).setPlatform(PLATFORM);
            for (TensorSpec s : m.signature().inputs()) {
                b.addInputs(metadata(s));
            }
            for (TensorSpec s : m.signature().scoreOutputs()) {
                b.addOutputs(metadata(s));
            }
            observer.onNext(b.build());
            observer.onCompleted();
        } catch (Throwable t) {
            observer.onError(StatusMapper.toStatus(t));
        }
    }

    @Override
    public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> observer) {
        if (request.containsParameters(EXPLAIN)) {
            explain(request, (ServerCallStreamObserver<ModelInferResponse>) observer);
            return;
        }
        PredictRequest predict;
        ServedModel model;
        try {
            model = model(request.getModelName(), request.getModelVersion());
            checkOutputs(request, model);
            predict = predictRequest(request);
        } catch (Throwable t) {
            observer.onError(StatusMapper.toStatus(t));
            return;
        }
        ServedModel served = model;
        boolean raw = request.getRawInputContentsCount() > 0;
        predictions.predict(predict, new TranslatingObserver<>(
                (ServerCallStreamObserver<ModelInferResponse>) observer, p -> inferResponse(request, served, p, raw)));
    }

    private void explain(ModelInferRequest request, ServerCallStreamObserver<ModelInferResponse> observer) {
        ExplainRequest explain;
        ServedModel model;
        try {
            model = model(request.getModelName(), request.getModelVersion());
            if (request.getOutputsCount() > 0) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, "outputs", "an explanation answers attributions,"
                        + " base_values, model_outputs and standard_errors; leave outputs unset");
            }
            explain = OpenInferenceExplain.request(request, predictRequest(request));
        } catch (Throwable t) {
            observer.onError(StatusMapper.toStatus(t));
            return;
        }
        ServedModel served = model;
        explanations.explain(explain, new TranslatingObserver<>(observer,
                r -> OpenInferenceExplain.response(request, served, r)));
    }

    /** The served model, in the asked version when one is given. */
    private ServedModel model(String name, String version) {
        ServedModel m = models.require(name, "model_name");
        if (!version.isEmpty() && !version.equals(m.version())) {
            throw new PrismException(Reason.MODEL_NOT_FOUND, "model '" + m.name() + "' has no version '"
                    + dev.prism.error.ClientText.quote(version) + "'; it serves version " + m.version());
        }
        return m;
    }

    private static ModelMetadataResponse.TensorMetadata metadata(TensorSpec s) {
        ModelMetadataResponse.TensorMetadata.Builder t = ModelMetadataResponse.TensorMetadata.newBuilder()
                .setName(s.name()).setDatatype(OipDatatypes.name(s.dtype()));
        for (long d : s.shape()) {
            t.addShape(d < 0 ? -1 : d);
        }
        return t.build();
    }

    private static DataType dataType(String datatype, String field) {
        return switch (datatype) {
            case "FP32" -> DataType.DATA_TYPE_FLOAT32;
            case "FP64" -> DataType.DATA_TYPE_FLOAT64;
            case "INT32" -> DataType.DATA_TYPE_INT32;
            case "INT64" -> DataType.DATA_TYPE_INT64;
            default -> throw PrismException.invalid(Reason.INVALID_TENSOR, field, "datatype "
                    + dev.prism.error.ClientText.quote(datatype) + " is not one Prism's models take (FP32, FP64,"
                    + " INT32, INT64)");
        };
    }

    /** The request's tensors as Prism tensors: raw bytes as they are (both little-endian), typed contents by type. */
    private static PredictRequest predictRequest(ModelInferRequest request) {
        boolean raw = request.getRawInputContentsCount() > 0;
        if (raw && request.getRawInputContentsCount() != request.getInputsCount()) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, "raw_input_contents",
                    request.getRawInputContentsCount() + " raw contents for " + request.getInputsCount() + " inputs");
        }
        PredictRequest.Builder p = PredictRequest.newBuilder().setModel(request.getModelName());
        for (int i = 0; i < request.getInputsCount(); i++) {
            ModelInferRequest.InferInputTensor in = request.getInputs(i);
            String field = "inputs[" + i + "]";
            Tensor.Builder t = Tensor.newBuilder().setName(in.getName())
                    .setDtype(dataType(in.getDatatype(), field + ".datatype")).addAllShape(in.getShapeList());
            if (raw) {
                if (in.hasContents()) {
                    throw PrismException.invalid(Reason.INVALID_TENSOR, field + ".contents", "must not be set when"
                            + " raw_input_contents carries the inputs");
                }
                t.setRawData(request.getRawInputContents(i));
            } else {
                typed(in, t, field);
            }
            p.addInputs(t);
        }
        return p.build();
    }

    private static void typed(ModelInferRequest.InferInputTensor in, Tensor.Builder t, String field) {
        InferTensorContents c = in.getContents();
        switch (in.getDatatype()) {
            case "FP32" -> t.addAllFloatData(c.getFp32ContentsList());
            case "FP64" -> t.addAllDoubleData(c.getFp64ContentsList());
            case "INT32" -> t.addAllIntData(c.getIntContentsList());
            case "INT64" -> t.addAllInt64Data(c.getInt64ContentsList());
            default -> throw new IllegalStateException("checked above: " + in.getDatatype());
        }
    }

    /** Prism's prediction as the OIP answer: the requested score outputs (all when none is named). */
    private static ModelInferResponse inferResponse(ModelInferRequest request, ServedModel model,
                                                    PredictResponse predicted, boolean raw) {
        Set<String> wanted = new HashSet<>();
        for (ModelInferRequest.InferRequestedOutputTensor o : request.getOutputsList()) {
            wanted.add(o.getName());
        }
        ModelInferResponse.Builder r = ModelInferResponse.newBuilder().setModelName(model.name())
                .setModelVersion(model.version()).setId(request.getId());
        List<TensorSpec> specs = model.signature().scoreOutputs();
        for (int k = 0; k < specs.size(); k++) {
            TensorSpec spec = specs.get(k);
            if (!wanted.isEmpty() && !wanted.contains(spec.name())) {
                continue;
            }
            Tensor t = predicted.getOutputs(k);
            ModelInferResponse.InferOutputTensor.Builder out = ModelInferResponse.InferOutputTensor.newBuilder()
                    .setName(spec.name()).setDatatype(OipDatatypes.name(spec.dtype())).addAllShape(t.getShapeList());
            List<Double> values = t.getDoubleDataList();
            if (raw) {
                r.addRawOutputContents(rawBytes(spec.dtype(), values));
            } else {
                out.setContents(contents(spec.dtype(), values));
            }
            r.addOutputs(out);
        }
        return r.build();
    }

    /** Checks the requested outputs name score outputs, before any work. */
    private static void checkOutputs(ModelInferRequest request, ServedModel model) {
        List<String> names = new ArrayList<>();
        model.signature().scoreOutputs().forEach(s -> names.add(s.name()));
        for (int i = 0; i < request.getOutputsCount(); i++) {
            String name = request.getOutputs(i).getName();
            if (!names.contains(name)) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, "outputs[" + i + "].name", "model '"
                        + model.name() + "' has no output " + dev.prism.error.ClientText.quote(name)
                        + "; its outputs: " + names);
            }
        }
    }

    private static ByteString rawBytes(DType dtype, List<Double> values) {
        ByteBuffer b = ByteBuffer.allocate(values.size() * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            LittleEndian.write(b, dtype, v);
        }
        return ByteString.copyFrom(b.array());
    }

    private static InferTensorContents contents(DType dtype, List<Double> values) {
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        for (double v : values) {
            switch (dtype) {
                case FLOAT32 -> c.addFp32Contents((float) v);
                case FLOAT64 -> c.addFp64Contents(v);
                case INT32 -> c.addIntContents((int) v);
                case INT64 -> c.addInt64Contents((long) v);
            }
        }
        return c.build();
    }
}
