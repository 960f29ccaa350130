package dev.prism.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.PredictRequest;
import dev.prism.api.v1.ResponseFormat;
import dev.prism.api.v1.Summary;
import dev.prism.api.v1.Tensor;
import dev.prism.error.ClientText;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import inference.OpenInferenceGrpc.InferParameter;
import inference.OpenInferenceGrpc.InferTensorContents;
import inference.OpenInferenceGrpc.ModelInferRequest;
import inference.OpenInferenceGrpc.ModelInferResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * An explanation asked for over the Open Inference Protocol (see {@link OpenInferenceService}): the
 * ModelInfer's parameters as an {@link ExplainRequest}, and its {@link ExplainResponse} as OIP
 * tensors. The method's options are set by their field names in its params message, so every
 * option Prism's API has is reachable and a name it does not have is refused by field.
 */
final class OpenInferenceExplain {
    /** The request's own parameter beside the method's options. */
    static final String SEED = "seed";

    private OpenInferenceExplain() {
    }

    /** Prism's Explain of the instances a ModelInfer carries ({@code inputs}, already decoded as a Predict's). */
    static ExplainRequest request(ModelInferRequest oip, PredictRequest inputs) {
        InferParameter method = oip.getParametersMap().get(OpenInferenceService.EXPLAIN);
        String name = method.getParameterChoiceCase() == InferParameter.ParameterChoiceCase.STRING_PARAM
                ? method.getStringParam() : "";
        FieldDescriptor oneof = ExplainRequest.getDescriptor().findFieldByName(name);
        if (!MethodTable.names().contains(name) || oneof == null) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "parameters." + OpenInferenceService.EXPLAIN,
                    "names no method: give one of " + MethodTable.names() + " as a string");
        }
        ExplainRequest.Builder r = ExplainRequest.newBuilder().setModel(oip.getModelName())
                .addAllInputs(inputs.getInputsList()).setFormat(ResponseFormat.FORMAT_COMPACT);
        Message.Builder params = r.newBuilderForField(oneof);
        for (Map.Entry<String, InferParameter> p : oip.getParametersMap().entrySet()) {
            String key = p.getKey();
            if (key.equals(OpenInferenceService.EXPLAIN)) {
                continue;
            }
            if (key.equals(SEED)) {
                r.setSeed(integer(p.getValue(), "parameters." + SEED));
                continue;
            }
            FieldDescriptor f = params.getDescriptorForType().findFieldByName(key);
            if (f == null || f.isRepeated() || f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, "parameters." + key, name + " has no option "
                        + ClientText.quote(key) + " a parameter can set; its options: "
                        + params.getDescriptorForType().getFields().stream()
                        .filter(o -> !o.isRepeated() && o.getJavaType() != FieldDescriptor.JavaType.MESSAGE)
                        .map(FieldDescriptor::getName).toList());
            }
            params.setField(f, value(f, p.getValue(), "parameters." + key));
        }
        return r.setField(oneof, params.build()).build();
    }

    /** A parameter as the value of a params field of that type. */
    private static Object value(FieldDescriptor f, InferParameter p, String field) {
        return switch (f.getJavaType()) {
            case INT -> Math.toIntExact(integer(p, field));
            case LONG -> integer(p, field);
            case DOUBLE -> number(p, field);
            case FLOAT -> (float) number(p, field);
            case BOOLEAN -> {
                if (p.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.BOOL_PARAM) {
                    throw PrismException.invalid(Reason.INVALID_PARAMS, field, "must be a bool_param");
                }
                yield p.getBoolParam();
            }
            case STRING -> text(p, field);
            case ENUM -> {
                String v = text(p, field);
                EnumValueDescriptor e = f.getEnumType().getValues().stream()
                        .filter(o -> o.getName().equalsIgnoreCase(v) || o.getName().toLowerCase().endsWith("_" + v.toLowerCase()))
                        .findFirst().orElseThrow(() -> PrismException.invalid(Reason.INVALID_PARAMS, field,
                                ClientText.quote(v) + " is none of " + f.getEnumType().getValues().stream()
                                        .map(EnumValueDescriptor::getName).toList()));
                yield e;
            }
            default -> throw PrismException.invalid(Reason.INVALID_PARAMS, field, "cannot be set by a parameter");
        };
    }

    private static long integer(InferParameter p, String field) {
        return switch (p.getParameterChoiceCase()) {
            case INT64_PARAM -> p.getInt64Param();
            case UINT64_PARAM -> p.getUint64Param();
            default -> throw PrismException.invalid(Reason.INVALID_PARAMS, field, "must be an int64_param");
        };
    }

    private static double number(InferParameter p, String field) {
        return switch (p.getParameterChoiceCase()) {
            case DOUBLE_PARAM -> p.getDoubleParam();
            case INT64_PARAM -> p.getInt64Param();
            default -> throw PrismException.invalid(Reason.INVALID_PARAMS, field, "must be a double_param");
        };
    }

    private static String text(InferParameter p, String field) {
        if (p.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.STRING_PARAM) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, field, "must be a string_param");
        }
        return p.getStringParam();
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
