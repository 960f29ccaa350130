package dev.prism.server;

import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.error.ClientText;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import inference.OpenInferenceGrpc.InferParameter;
import java.util.Map;

/**
 * A method and its options given as name/value parameters, as the Open Inference Protocol's
 * ModelInfer and KServe's V1 explain carry them, turned into Prism's Explain request. An option is
 * set by its field name in the method's params message (e.g. {@code nsamples}), so every option
 * Prism's API has is reachable and a name it does not have is refused by field; {@value #SEED} is
 * the request's seed.
 */
public final class MethodOptions {
    /** The request's own parameter beside the method's options. */
    public static final String SEED = "seed";

    private MethodOptions() {
    }

    /**
     * An Explain request with the method named {@code method} and its options set; the caller adds
     * the model and the instances.
     *
     * @param method       the method's name, e.g. "kernel_shap"
     * @param methodField  where the caller's request names it, for the field violation
     * @param options      the method's options by field name, and {@value #SEED}
     * @param optionsField where the caller's request holds the options: "parameters" gives
     *                     violations on "parameters.nsamples"
     */
    public static ExplainRequest.Builder explain(String method, String methodField, Map<String, InferParameter> options,
                                                 String optionsField) {
        FieldDescriptor oneof = ExplainRequest.getDescriptor().findFieldByName(method);
        if (!MethodTable.names().contains(method) || oneof == null) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, methodField,
                    "names no method: give one of " + MethodTable.names() + " as a string");
        }
        ExplainRequest.Builder r = ExplainRequest.newBuilder();
        Message.Builder params = r.newBuilderForField(oneof);
        for (Map.Entry<String, InferParameter> p : options.entrySet()) {
            String key = p.getKey();
            if (key.equals(SEED)) {
                r.setSeed(integer(p.getValue(), optionsField + "." + SEED));
                continue;
            }
            FieldDescriptor f = params.getDescriptorForType().findFieldByName(key);
            if (f == null || f.isRepeated() || f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, optionsField + "." + key, method + " has no option "
                        + ClientText.quote(key) + " a parameter can set; its options: "
                        + params.getDescriptorForType().getFields().stream()
                        .filter(o -> !o.isRepeated() && o.getJavaType() != FieldDescriptor.JavaType.MESSAGE)
                        .map(FieldDescriptor::getName).toList());
            }
            params.setField(f, value(f, p.getValue(), optionsField + "." + key));
        }
        return r.setField(oneof, params.build());
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
}
