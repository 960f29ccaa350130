package dev.prism.server;

import com.google.protobuf.ByteString;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.PredictRequest;
import dev.prism.api.v1.ResponseFormat;
import dev.prism.api.v1.Summary;
import dev.prism.api.v1.Tensor;
import inference.OpenInferenceGrpc.InferParameter;
import inference.OpenInferenceGrpc.InferTensorContents;
import inference.OpenInferenceGrpc.ModelInferRequest;
import inference.OpenInferenceGrpc.ModelInferResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An explanation asked for over the Open Inference Protocol (see {@link OpenInferenceService}): the
 * ModelInfer's parameters as an {@link ExplainRequest}, and its {@link ExplainResponse} as OIP
 * tensors. The method's options are the other parameters (see {@link MethodOptions}).
 */
final class OpenInferenceExplain {
    private OpenInferenceExplain() {
    }

    /** Prism's Explain of the instances a ModelInfer carries ({@code inputs}, already decoded as a Predict's). */
    static ExplainRequest request(ModelInferRequest oip, PredictRequest inputs) {
        InferParameter method = oip.getParametersMap().get(OpenInferenceService.EXPLAIN);
        String name = method.getParameterChoiceCase() == InferParameter.ParameterChoiceCase.STRING_PARAM
                ? method.getStringParam() : "";
        Map<String, InferParameter> options = new LinkedHashMap<>(oip.getParametersMap());
        options.remove(OpenInferenceService.EXPLAIN);
        return MethodOptions.explain(name, "parameters." + OpenInferenceService.EXPLAIN, options, "parameters")
                .setModel(oip.getModelName()).addAllInputs(inputs.getInputsList())
                .setFormat(ResponseFormat.FORMAT_COMPACT).build();
    }

    /** The explanation as FP32 tensors, raw when the request was raw. */
    static ModelInferResponse response(ModelInferRequest oip, ServedModel model, ExplainResponse explained) {
        boolean raw = oip.getRawInputContentsCount() > 0;
        Summary s = explained.getSummary();
        ModelInferResponse.Builder r = ModelInferResponse.newBuilder().setModelName(model.name())
                .setModelVersion(model.version()).setId(oip.getId())
                .putParameters("method", string(explained.getMethod()))
                .putParameters("feature_names", string(String.join(",", explained.getFeatureNamesList())))
                .putParameters("output_names", string(String.join(",", s.getOutputsList())))
                .putParameters("partial", InferParameter.newBuilder().setBoolParam(explained.getPartial()).build());
        add(r, "attributions", s.getAttributions(), raw);
        add(r, "base_values", s.getBaseValues(), raw);
        add(r, "model_outputs", s.getModelOutputs(), raw);
        if (s.hasStandardErrors()) {
            add(r, "standard_errors", s.getStandardErrors(), raw);
        }
        return r.build();
    }

    private static InferParameter string(String v) {
        return InferParameter.newBuilder().setStringParam(v).build();
    }

    private static void add(ModelInferResponse.Builder r, String name, Tensor t, boolean raw) {
        ModelInferResponse.InferOutputTensor.Builder out = ModelInferResponse.InferOutputTensor.newBuilder()
                .setName(name).setDatatype("FP32").addAllShape(t.getShapeList());
        if (raw) {
            ByteBuffer b = ByteBuffer.allocate(4 * t.getDoubleDataCount()).order(ByteOrder.LITTLE_ENDIAN);
            t.getDoubleDataList().forEach(v -> b.putFloat(v.floatValue()));
            r.addRawOutputContents(ByteString.copyFrom(b.array()));
        } else {
            InferTensorContents.Builder c = InferTensorContents.newBuilder();
            t.getDoubleDataList().forEach(v -> c.addFp32Contents(v.floatValue()));
            out.setContents(c);
        }
        r.addOutputs(out);
    }
}
