package dev.prism.http;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.protobuf.ByteString;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import inference.OpenInferenceGrpc.InferParameter;
import inference.OpenInferenceGrpc.InferTensorContents;
import inference.OpenInferenceGrpc.ModelInferRequest;
import inference.OpenInferenceGrpc.ModelInferResponse;
import inference.OpenInferenceGrpc.ModelMetadataResponse;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The Open Inference Protocol's REST JSON and its gRPC messages, one into the other: tensors as
 * name, shape, datatype and data (flat or nested, row-major), parameters as JSON strings, booleans
 * and numbers (an integer is an int64_param, any other number a double_param).
 */
final class OipJson {
    private OipJson() {}

    /** A parameter's JSON value as an InferParameter. */
    static InferParameter parameter(JsonElement v, String field) {
        if (v.isJsonPrimitive()) {
            JsonPrimitive p = v.getAsJsonPrimitive();
            if (p.isBoolean()) {
                return InferParameter.newBuilder().setBoolParam(p.getAsBoolean()).build();
            }
            if (p.isString()) {
                return InferParameter.newBuilder().setStringParam(p.getAsString()).build();
            }
            BigDecimal d = p.getAsBigDecimal();
            try {
                return InferParameter.newBuilder().setInt64Param(d.longValueExact()).build();
            } catch (ArithmeticException notAnInteger) {
                return InferParameter.newBuilder().setDoubleParam(d.doubleValue()).build();
            }
        }
        throw PrismException.invalid(Reason.INVALID_PARAMS, field, "must be a string, a boolean or a number");
    }

    static JsonElement parameter(InferParameter p) {
        return switch (p.getParameterChoiceCase()) {
            case BOOL_PARAM -> new JsonPrimitive(p.getBoolParam());
            case INT64_PARAM -> new JsonPrimitive(p.getInt64Param());
            case UINT64_PARAM -> new JsonPrimitive(Long.toUnsignedString(p.getUint64Param()));
            case DOUBLE_PARAM -> new JsonPrimitive(p.getDoubleParam());
            case STRING_PARAM -> new JsonPrimitive(p.getStringParam());
            case PARAMETERCHOICE_NOT_SET -> com.google.gson.JsonNull.INSTANCE;
        };
    }

    private static Map<String, InferParameter> parameters(JsonObject from, String field) {
        Map<String, InferParameter> into = new java.util.LinkedHashMap<>();
        JsonElement p = from.get("parameters");
        if (p == null || p.isJsonNull()) {
            return into;
        }
        if (!p.isJsonObject()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, field, "must be an object");
        }
        p.getAsJsonObject().entrySet().forEach(e -> into.put(e.getKey(), parameter(e.getValue(), field + "." + e.getKey())));
        return into;
    }

    private static JsonObject parameters(Map<String, InferParameter> parameters) {
        JsonObject o = new JsonObject();
        parameters.forEach((k, v) -> o.add(k, parameter(v)));
        return o;
    }

    /** Nested arrays flattened row-major into their leaves, with the shape the nesting gives. */
    static void flatten(JsonElement v, int depth, List<Long> shape, List<JsonElement> leaves, String field) {
        if (v.isJsonArray()) {
            JsonArray a = v.getAsJsonArray();
            if (depth == shape.size() && leaves.isEmpty()) {
                shape.add((long) a.size());
            } else if (depth >= shape.size() || shape.get(depth) != a.size()) {
                throw PrismException.invalid(Reason.INVALID_TENSOR, field, "is ragged: its nested lists differ in length");
            }
            for (JsonElement e : a) {
                flatten(e, depth + 1, shape, leaves, field);
            }
        } else {
            if (depth != shape.size()) {
                throw PrismException.invalid(Reason.INVALID_TENSOR, field, "is ragged: values and lists at one depth");
            }
            leaves.add(v);
        }
    }

    /** The REST inference request as a ModelInfer for that model and version. */
    static ModelInferRequest request(JsonObject body, String model, String version) {
        ModelInferRequest.Builder r = ModelInferRequest.newBuilder().setModelName(model).setModelVersion(version);
        if (body.has("id")) {
            r.setId(string(body, "id", "id"));
        }
        r.putAllParameters(parameters(body, "parameters"));
        JsonElement inputs = body.get("inputs");
        if (inputs == null || !inputs.isJsonArray()) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, "inputs", "must be a list of input tensors");
        }
        for (int i = 0; i < inputs.getAsJsonArray().size(); i++) {
            r.addInputs(input(inputs.getAsJsonArray().get(i), "inputs[" + i + "]"));
        }
        JsonElement outputs = body.get("outputs");
        if (outputs != null && !outputs.isJsonNull()) {
            if (!outputs.isJsonArray()) {
                throw PrismException.invalid(Reason.UNKNOWN_OUTPUT, "outputs", "must be a list of requested outputs");
            }
            for (int i = 0; i < outputs.getAsJsonArray().size(); i++) {
                String field = "outputs[" + i + "]";
                JsonObject o = object(outputs.getAsJsonArray().get(i), field, Reason.UNKNOWN_OUTPUT);
                ModelInferRequest.InferRequestedOutputTensor.Builder out =
                        ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName(string(o, "name", field + ".name"));
                out.putAllParameters(parameters(o, field + ".parameters"));
                r.addOutputs(out);
            }
        }
        return r.build();
    }

    private static ModelInferRequest.InferInputTensor input(JsonElement v, String field) {
        JsonObject o = object(v, field, Reason.INVALID_TENSOR);
        String datatype = string(o, "datatype", field + ".datatype");
        ModelInferRequest.InferInputTensor.Builder t = ModelInferRequest.InferInputTensor.newBuilder()
                .setName(string(o, "name", field + ".name")).setDatatype(datatype);
        JsonElement shape = o.get("shape");
        if (shape == null || !shape.isJsonArray()) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, field + ".shape", "must be a list of dimensions");
        }
        for (JsonElement d : shape.getAsJsonArray()) {
            t.addShape(integer(d, field + ".shape"));
        }
        t.putAllParameters(parameters(o, field + ".parameters"));
        JsonElement data = o.get("data");
        if (data == null) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, field + ".data", "is missing");
        }
        List<JsonElement> leaves = new java.util.ArrayList<>();
        flatten(data, 0, new java.util.ArrayList<>(), leaves, field + ".data");
        return t.setContents(contents(datatype, leaves, field + ".data")).build();
    }

    private static InferTensorContents contents(String datatype, List<JsonElement> leaves, String field) {
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        try {
            switch (datatype) {
                case "BOOL" -> leaves.forEach(v -> c.addBoolContents(primitive(v).getAsBoolean()));
                case "INT8", "INT16", "INT32" -> leaves.forEach(v -> c.addIntContents(
                        Math.toIntExact(primitive(v).getAsBigDecimal().longValueExact())));
                case "INT64" -> leaves.forEach(v -> c.addInt64Contents(primitive(v).getAsBigDecimal().longValueExact()));
                case "UINT8", "UINT16", "UINT32" -> leaves.forEach(v -> c.addUintContents(
                        Math.toIntExact(primitive(v).getAsBigDecimal().longValueExact())));
                case "UINT64" -> leaves.forEach(v -> c.addUint64Contents(
                        primitive(v).getAsBigDecimal().toBigIntegerExact().longValue()));
                case "FP32" -> leaves.forEach(v -> c.addFp32Contents((float) number(v)));
                case "FP64" -> leaves.forEach(v -> c.addFp64Contents(number(v)));
                case "BYTES" -> leaves.forEach(v -> c.addBytesContents(
                        ByteString.copyFrom(primitive(v).getAsString(), StandardCharsets.UTF_8)));
                default -> throw PrismException.invalid(Reason.INVALID_TENSOR, field, datatype
                        + " has no JSON form here: send BOOL, INT8 to INT64, UINT8 to UINT64, FP32, FP64 or BYTES");
            }
        } catch (ArithmeticException | NumberFormatException | IllegalStateException | UnsupportedOperationException e) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, field, "holds a value that is not " + datatype);
        }
        return c.build();
    }

    private static JsonPrimitive primitive(JsonElement v) {
        if (!v.isJsonPrimitive()) {
            throw new IllegalStateException("not a value");
        }
        return v.getAsJsonPrimitive();
    }

    private static double number(JsonElement v) {
        JsonPrimitive p = primitive(v);
        if (!p.isNumber()) {
            throw new IllegalStateException("not a number");
        }
        return p.getAsDouble();
    }

    private static long integer(JsonElement v, String field) {
        try {
            return primitive(v).getAsBigDecimal().longValueExact();
        } catch (RuntimeException e) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, field, "must hold integers");
        }
    }

    private static JsonObject object(JsonElement v, String field, Reason reason) {
        if (!v.isJsonObject()) {
            throw PrismException.invalid(reason, field, "must be an object");
        }
        return v.getAsJsonObject();
    }

    private static String string(JsonObject o, String key, String field) {
        JsonElement v = o.get(key);
        if (v == null || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, field, "must be a string");
        }
        return v.getAsString();
    }

    /** The ModelInfer answer as the REST inference response. */
    static JsonObject response(ModelInferResponse r) {
        JsonObject o = new JsonObject();
        o.addProperty("model_name", r.getModelName());
        if (!r.getModelVersion().isEmpty()) {
            o.addProperty("model_version", r.getModelVersion());
        }
        o.addProperty("id", r.getId());
        if (r.getParametersCount() > 0) {
            o.add("parameters", parameters(r.getParametersMap()));
        }
        JsonArray outputs = new JsonArray();
        for (ModelInferResponse.InferOutputTensor t : r.getOutputsList()) {
            JsonObject out = new JsonObject();
            out.addProperty("name", t.getName());
            out.add("shape", shape(t.getShapeList()));
            out.addProperty("datatype", t.getDatatype());
            if (t.getParametersCount() > 0) {
                out.add("parameters", parameters(t.getParametersMap()));
            }
            out.add("data", data(t.getContents()));
            outputs.add(out);
        }
        o.add("outputs", outputs);
        return o;
    }

    /** The contents' one filled field; the REST request is never raw, so the answer is typed. */
    private static JsonArray data(InferTensorContents c) {
        JsonArray a = new JsonArray();
        c.getBoolContentsList().forEach(a::add);
        c.getIntContentsList().forEach(a::add);
        c.getInt64ContentsList().forEach(a::add);
        c.getUintContentsList().forEach(v -> a.add(Integer.toUnsignedLong(v)));
        c.getUint64ContentsList().forEach(v -> a.add(new JsonPrimitive(new java.math.BigInteger(Long.toUnsignedString(v)))));
        c.getFp32ContentsList().forEach(v -> a.add(v.doubleValue()));
        c.getFp64ContentsList().forEach(a::add);
        c.getBytesContentsList().forEach(v -> a.add(v.toStringUtf8()));
        return a;
    }

    private static JsonArray shape(List<Long> dims) {
        JsonArray a = new JsonArray();
        dims.forEach(a::add);
        return a;
    }

    static JsonObject metadata(ModelMetadataResponse m) {
        JsonObject o = new JsonObject();
        o.addProperty("name", m.getName());
        JsonArray versions = new JsonArray();
        m.getVersionsList().forEach(versions::add);
        o.add("versions", versions);
        o.addProperty("platform", m.getPlatform());
        o.add("inputs", tensors(m.getInputsList()));
        o.add("outputs", tensors(m.getOutputsList()));
        return o;
    }

    private static JsonArray tensors(List<ModelMetadataResponse.TensorMetadata> list) {
        JsonArray a = new JsonArray();
        for (ModelMetadataResponse.TensorMetadata t : list) {
            JsonObject o = new JsonObject();
            o.addProperty("name", t.getName());
            o.addProperty("datatype", t.getDatatype());
            o.add("shape", shape(t.getShapeList()));
            a.add(o);
        }
        return a;
    }
}
