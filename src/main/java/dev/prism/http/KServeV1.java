package dev.prism.http;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.GetModelRequest;
import dev.prism.api.v1.ModelInfo;
import dev.prism.api.v1.ModelServiceGrpc;
import dev.prism.api.v1.PredictRequest;
import dev.prism.api.v1.PredictResponse;
import dev.prism.api.v1.Tensor;
import dev.prism.api.v1.TensorSpec;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import inference.OpenInferenceGrpc.InferParameter;
import io.grpc.Channel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * KServe's V1 protocol, which its explainer routing speaks: {@code GET /v1/models/{m}} (ready),
 * {@code :predict} with {"instances": [...]} answering {"predictions": [...]}, one row of score
 * columns per instance, and {@code :explain} with {"instances", "method" (default auto),
 * "parameters" (the method's options by field name, and seed)} answering the ExplainResponse.
 * Instances are rows of numbers, nested as deep as the model's explained input; rows given flat
 * are shaped as ModelInfo says the input is.
 */
final class KServeV1 {
    private static final String MODEL = "/v1/models/(?<model>[^/:]+)";

    private final ModelServiceGrpc.ModelServiceBlockingStub models;
    private final ExplainServiceGrpc.ExplainServiceBlockingStub explanations;
    private final HttpGateway.Rules rules;

    KServeV1(Channel channel, HttpGateway.Rules rules) {
        this.models = ModelServiceGrpc.newBlockingStub(channel);
        this.explanations = ExplainServiceGrpc.newBlockingStub(channel);
        this.rules = rules;
    }

    void routes(Router router) {
        Exchange.ErrorStyle style = Exchange.ErrorStyle.ERROR_FIELD;
        router.add("GET", MODEL, style, this::ready)
                .add("POST", MODEL + ":predict", style, this::predict)
                .add("POST", MODEL + ":explain", style, this::explain);
    }

    private ModelInfo model(Exchange e) {
        return e.stub(models).getModel(GetModelRequest.newBuilder().setName(e.path("model")).build());
    }

    private void ready(Exchange e) {
        ModelInfo m = model(e);
        JsonObject o = new JsonObject();
        o.addProperty("name", m.getName());
        o.addProperty("ready", true);
        e.send(o);
    }

    private void predict(Exchange e) throws Exception {
        JsonObject body = e.object();
        ModelInfo m = model(e);
        PredictResponse answer = e.stub(models).predict(PredictRequest.newBuilder().setModel(m.getName())
                .addInputs(instances(body, m)).build());
        int n = Math.toIntExact(answer.getOutputs(0).getShape(0));
        JsonArray predictions = new JsonArray();
        for (int i = 0; i < n; i++) {
            JsonArray row = new JsonArray();
            for (Tensor t : answer.getOutputsList()) {
                int columns = t.getDoubleDataCount() / n;
                for (int j = 0; j < columns; j++) {
                    row.add(t.getDoubleData(i * columns + j));
                }
            }
            predictions.add(row);
        }
        JsonObject o = new JsonObject();
        o.add("predictions", predictions);
        e.send(o);
    }

    private void explain(Exchange e) throws Exception {
        JsonObject body = e.object();
        JsonElement method = body.has("method") ? body.get("method") : new JsonPrimitive("auto");
        if (!method.isJsonPrimitive() || !method.getAsJsonPrimitive().isString()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, "method", "must be a method's name as a string");
        }
        Map<String, InferParameter> options = new LinkedHashMap<>();
        JsonElement parameters = body.get("parameters");
        if (parameters != null && !parameters.isJsonNull()) {
            if (!parameters.isJsonObject()) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, "parameters", "must be an object");
            }
            parameters.getAsJsonObject().entrySet().forEach(p -> options.put(p.getKey(),
                    OipJson.parameter(p.getValue(), "parameters." + p.getKey())));
        }
        ModelInfo m = model(e);
        ExplainRequest request = rules.explainRequest(method.getAsString(), "method", options, "parameters")
                .setModel(m.getName()).addInputs(instances(body, m)).build();
        e.send(e.stub(explanations).explain(request));
    }

    /** The instances as one tensor, batch first, shaped as they are nested or, if flat, as the model's input. */
    static Tensor instances(JsonObject body, ModelInfo model) {
        JsonElement instances = body.get("instances");
        if (instances == null || !instances.isJsonArray() || instances.getAsJsonArray().isEmpty()) {
            throw PrismException.invalid(Reason.INVALID_TENSOR, "instances", "must be a non-empty list of instances");
        }
        List<Long> shape = new ArrayList<>();
        List<JsonElement> leaves = new ArrayList<>();
        OipJson.flatten(instances, 0, shape, leaves, "instances");
        Tensor.Builder t = Tensor.newBuilder().setName(model.getExplainedInput());
        for (JsonElement v : leaves) {
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
                throw PrismException.invalid(Reason.INVALID_TENSOR, "instances", "must hold numbers only");
            }
            t.addDoubleData(v.getAsDouble());
        }
        long[] dims = shape.stream().mapToLong(Long::longValue).toArray();
        long[] declared = explainedShape(model);
        if (declared != null && dims.length != declared.length && dims[0] > 0) {
            long declaredEach = 1;
            for (int i = 1; i < declared.length; i++) {
                declaredEach *= declared[i];
            }
            if (leaves.size() / dims[0] == declaredEach) {
                dims = declared.clone();
                dims[0] = shape.get(0);
            }
        }
        for (long d : dims) {
            t.addShape(d);
        }
        return t.build();
    }

    /** The explained input's shape when every dimension past the batch is fixed; null otherwise. */
    private static long[] explainedShape(ModelInfo model) {
        for (TensorSpec s : model.getInputsList()) {
            if (s.getName().equals(model.getExplainedInput())) {
                long[] shape = s.getShapeList().stream().mapToLong(Long::longValue).toArray();
                for (int i = 1; i < shape.length; i++) {
                    if (shape[i] < 1) {
                        return null;
                    }
                }
                return shape.length == 0 ? null : shape;
            }
        }
        return null;
    }
}
