package dev.prism.http;

import static dev.prism.http.HttpTesting.badRequest;
import static dev.prism.http.HttpTesting.object;
import static dev.prism.http.HttpTesting.parse;
import static dev.prism.http.HttpTesting.reason;
import static dev.prism.http.HttpTesting.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.prism.api.v1.ExactShapleyParams;
import dev.prism.api.v1.ComplexityParams;
import dev.prism.api.v1.DeletionParams;
import dev.prism.api.v1.EvaluateRequest;
import dev.prism.api.v1.EvaluationParams;
import dev.prism.api.v1.GivenAttributions;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.Explanation;
import dev.prism.api.v1.GetModelRequest;
import dev.prism.api.v1.ListModelsRequest;
import dev.prism.api.v1.ListModelsResponse;
import dev.prism.api.v1.ModelInfo;
import dev.prism.api.v1.ExampleServiceGrpc;
import dev.prism.api.v1.ExplainByExampleRequest;
import dev.prism.api.v1.ExplainByExampleResponse;
import dev.prism.api.v1.ModelServiceGrpc;
import dev.prism.api.v1.UnlikeNeighbourOptions;
import dev.prism.api.v1.PredictRequest;
import dev.prism.api.v1.PredictResponse;
import dev.prism.api.v1.ResponseFormat;
import dev.prism.api.v1.Tensor;
import dev.prism.server.PrismServer;
import dev.prism.server.ServerOptions;
import dev.prism.server.security.SecurityOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every route of the HTTP/JSON port against a live server, compared with the gRPC answer to the same request. */
class HttpGatewayTest {
    private static final double[] IRIS = {5.9, 3.0, 4.2, 1.5, 5.8, 2.6, 4.0, 1.2, 6.8, 3.0, 5.5, 2.1};

    @TempDir
    static Path dir;
    private static PrismServer prism;
    private static ManagedChannel channel;
    private static HttpTesting.Client http;

    @BeforeAll
    static void start() throws Exception {
        Path repo = HttpTesting.repository(dir, "iris", "digits_cnn");
        // iris's background doubles as its reference set for explanations by example.
        String config = java.nio.file.Files.readString(repo.resolve("iris/config.json")).trim();
        java.nio.file.Files.writeString(repo.resolve("iris/config.json"), config.substring(0, config.length() - 1)
                + ", \"referenceFile\": \"background.csv\"}");
        prism = PrismServer.start(ServerOptions.defaults(repo).withPorts(0, -1),
                SecurityOptions.NONE.withHttp("127.0.0.1", 0));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", prism.port()).usePlaintext().build();
        http = new HttpTesting.Client(prism.httpPort());
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        prism.close();
    }

    @Test
    void explanationsByExampleAnswerAsOverGrpc() throws Exception {
        ExplainByExampleRequest request = ExplainByExampleRequest.newBuilder().setModel("iris").setInstances(iris())
                .setK(3).setUnlikeNeighbour(UnlikeNeighbourOptions.getDefaultInstance()).build();
        HttpResponse<String> r = http.post("/prism/v1/examples", request);
        assertEquals(200, r.statusCode(), r.body());
        ExplainByExampleResponse.Builder overHttp = ExplainByExampleResponse.newBuilder();
        com.google.protobuf.util.JsonFormat.parser().merge(r.body(), overHttp);
        assertEquals(ExampleServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .explainByExample(request), overHttp.build());
        HttpResponse<String> none = http.post("/prism/v1/examples", ExplainByExampleRequest.newBuilder()
                .setModel("digits_cnn").setInstances(iris()).setK(3).build());
        assertEquals(400, none.statusCode(), none.body());
        assertTrue(none.body().contains("reference_file"), none.body());
    }

    /** Given attributions scored over HTTP as over gRPC; a wrong count is 400 naming the field. */
    @Test
    void evaluateAnswersAsOverGrpc() throws Exception {
        ExplainRequest explain = ExplainRequest.newBuilder().setModel("iris").addInputs(iris())
                .setExactShapley(ExactShapleyParams.getDefaultInstance())
                .setEvaluate(EvaluationParams.newBuilder().setDeletion(DeletionParams.getDefaultInstance())
                        .setComplexity(ComplexityParams.getDefaultInstance())).build();
        ExplainResponse explained = ExplainServiceGrpc.newBlockingStub(channel).explain(explain);
        EvaluateRequest.Builder request = EvaluateRequest.newBuilder().setRequest(explain);
        for (Explanation e : explained.getExplanationsList()) {
            request.addAttributions(GivenAttributions.newBuilder().setInstance(e.getInstance())
                    .setOutput(e.getOutput()).addAllValues(e.getAttributionsList()));
        }
        HttpResponse<String> r = http.post("/prism/v1/evaluate", request.build());
        assertEquals(200, r.statusCode(), r.body());
        ExplainResponse overHttp = parse(r.body(), ExplainResponse.newBuilder()).build();
        assertEquals(explained.getExplanationsCount(), overHttp.getExplanationsCount());
        for (int i = 0; i < explained.getExplanationsCount(); i++) {
            assertEquals(explained.getExplanations(i).getEvaluation(), overHttp.getExplanations(i).getEvaluation());
        }
        HttpResponse<String> short1 = http.post("/prism/v1/evaluate", request.removeAttributions(0).build());
        assertEquals(400, short1.statusCode(), short1.body());
        assertEquals("attributions", badRequest(status(short1.body())).getFieldViolations(0).getField());
    }

    @Test
    void thePageIsServedAtTheRootWithItsAssetsAndAPolicyThatKeepsItToThisServer() throws Exception {
        HttpResponse<String> root = http.get("/");
        if (HttpGatewayTest.class.getResource("/web/index.html") == null) {
            // A build without the page (-Dweb.skip=true) says so rather than serving nothing.
            assertEquals(404, root.statusCode());
            assertTrue(root.body().contains("has no page"), root.body());
            return;
        }
        assertEquals(200, root.statusCode(), root.body());
        assertTrue(root.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertTrue(root.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'self'"));
        java.util.regex.Matcher script = java.util.regex.Pattern.compile("src=\"(?:\\./|/)?(assets/[^\"]+\\.js)\"")
                .matcher(root.body());
        assertTrue(script.find(), root.body());
        HttpResponse<String> js = http.get("/" + script.group(1));
        assertEquals(200, js.statusCode());
        assertTrue(js.headers().firstValue("Content-Type").orElse("").contains("javascript"));
        assertTrue(js.body().length() > 10_000, "the bundled page code");
        // Not a file of the page, not a route: the API's 404.
        HttpResponse<String> missing = http.get("/assets/nothing.js");
        assertEquals(404, missing.statusCode());
        assertTrue(missing.body().contains("no route for /assets/nothing.js"), missing.body());
        assertEquals(404, http.post("/", "{}").statusCode());
    }

    private static ModelServiceGrpc.ModelServiceBlockingStub models() {
        return ModelServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static Tensor iris() {
        Tensor.Builder t = Tensor.newBuilder().addShape(3).addShape(4);
        for (double v : IRIS) {
            t.addDoubleData(v);
        }
        return t.build();
    }

    private static String irisRows() {
        return "[[5.9, 3.0, 4.2, 1.5], [5.8, 2.6, 4.0, 1.2], [6.8, 3.0, 5.5, 2.1]]";
    }

    @Test
    void prismModelsAreGrpcsModels() throws Exception {
        HttpResponse<String> list = http.get("/prism/v1/models");
        assertEquals(200, list.statusCode());
        assertEquals("application/json", list.headers().firstValue("Content-Type").orElseThrow());
        assertEquals(models().listModels(ListModelsRequest.getDefaultInstance()),
                parse(list.body(), ListModelsResponse.newBuilder()).build());
        HttpResponse<String> one = http.get("/prism/v1/models/iris");
        assertEquals(200, one.statusCode());
        assertEquals(models().getModel(GetModelRequest.newBuilder().setName("iris").build()),
                parse(one.body(), ModelInfo.newBuilder()).build());
    }

    @Test
    void prismPredictAndExplainGiveGrpcsNumbers() throws Exception {
        PredictRequest predict = PredictRequest.newBuilder().setModel("iris").addInputs(iris()).build();
        HttpResponse<String> p = http.post("/prism/v1/predict", predict);
        assertEquals(200, p.statusCode(), p.body());
        assertEquals(models().predict(predict), parse(p.body(), PredictResponse.newBuilder()).build());

        ExplainRequest explain = ExplainRequest.newBuilder().setModel("iris").addInputs(iris())
                .setExactShapley(ExactShapleyParams.getDefaultInstance()).build();
        HttpResponse<String> x = http.post("/prism/v1/explain", explain);
        assertEquals(200, x.statusCode(), x.body());
        ExplainResponse overHttp = parse(x.body(), ExplainResponse.newBuilder()).build();
        ExplainResponse overGrpc = ExplainServiceGrpc.newBlockingStub(channel).explain(explain);
        assertEquals(9, overHttp.getExplanationsCount());
        assertEquals(values(overGrpc), values(overHttp));
    }

    /** What an explanation computes, without its timings. */
    private static List<Object> values(ExplainResponse r) {
        List<Object> v = new ArrayList<>(List.of(r.getMethod(), r.getFeatureNamesList()));
        for (Explanation e : r.getExplanationsList()) {
            v.add(List.of(e.getInstance(), e.getOutput(), e.getBaseValue(), e.getModelOutput(), e.getAttributionsList()));
        }
        return v;
    }

    @Test
    void kserveV1PredictsAndExplainsAsGrpcDoes() throws Exception {
        HttpResponse<String> ready = http.get("/v1/models/iris");
        assertEquals(200, ready.statusCode());
        assertEquals(object("{\"name\": \"iris\", \"ready\": true}"), object(ready.body()));

        HttpResponse<String> p = http.post("/v1/models/iris:predict", "{\"instances\": " + irisRows() + "}");
        assertEquals(200, p.statusCode(), p.body());
        PredictResponse grpc = models().predict(PredictRequest.newBuilder().setModel("iris").addInputs(iris()).build());
        JsonArray predictions = object(p.body()).getAsJsonArray("predictions");
        List<Double> flat = new ArrayList<>();
        predictions.forEach(row -> row.getAsJsonArray().forEach(v -> flat.add(v.getAsDouble())));
        assertEquals(3, predictions.size());
        assertEquals(grpc.getOutputs(0).getDoubleDataList(), flat);

        HttpResponse<String> x = http.post("/v1/models/iris:explain", "{\"instances\": " + irisRows()
                + ", \"method\": \"exact_shapley\", \"parameters\": {\"seed\": 3}}");
        assertEquals(200, x.statusCode(), x.body());
        ExplainResponse overGrpc = ExplainServiceGrpc.newBlockingStub(channel).explain(ExplainRequest.newBuilder()
                .setModel("iris").addInputs(iris()).setSeed(3).setExactShapley(ExactShapleyParams.getDefaultInstance())
                .build());
        assertEquals(values(overGrpc), values(parse(x.body(), ExplainResponse.newBuilder()).build()));
    }

    @Test
    void kserveV1ImageInstancesNestedOrFlatAreShapedAsTheModelsInput() throws Exception {
        ModelInfo info = models().getModel(GetModelRequest.newBuilder().setName("digits_cnn").build());
        List<Long> shape = info.getInputsList().stream().filter(s -> s.getName().equals(info.getExplainedInput()))
                .findFirst().orElseThrow().getShapeList();
        assertEquals(List.of(-1L, 1L, 8L, 8L), shape);
        double[] pixels = new double[128];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (i * 7 % 17) / 16.0;
        }
        Tensor.Builder image = Tensor.newBuilder().addAllShape(List.of(2L, 1L, 8L, 8L));
        for (double p : pixels) {
            image.addDoubleData(p);
        }
        PredictResponse grpc = models().predict(PredictRequest.newBuilder().setModel("digits_cnn").addInputs(image)
                .build());
        StringBuilder flat = new StringBuilder("[");
        StringBuilder nested = new StringBuilder("[");
        for (int n = 0; n < 2; n++) {
            flat.append(n == 0 ? "[" : ",[");
            nested.append(n == 0 ? "[[" : ",[[");
            for (int r = 0; r < 8; r++) {
                nested.append(r == 0 ? "[" : ",[");
                for (int c = 0; c < 8; c++) {
                    double v = pixels[n * 64 + r * 8 + c];
                    flat.append(r + c == 0 ? "" : ",").append(v);
                    nested.append(c == 0 ? "" : ",").append(v);
                }
                nested.append("]");
            }
            flat.append("]");
            nested.append("]]");
        }
        for (String instances : List.of(flat + "]", nested + "]")) {
            HttpResponse<String> p = http.post("/v1/models/digits_cnn:predict", "{\"instances\": " + instances + "}");
            assertEquals(200, p.statusCode(), p.body());
            List<Double> scores = new ArrayList<>();
            JsonArray predictions = object(p.body()).getAsJsonArray("predictions");
            assertEquals(2, predictions.size());
            predictions.forEach(row -> {
                assertEquals(10, row.getAsJsonArray().size());
                row.getAsJsonArray().forEach(v -> scores.add(v.getAsDouble()));
            });
            assertEquals(grpc.getOutputs(0).getDoubleDataList(), scores);
        }
    }

    @Test
    void openInferenceRestAnswersTheSpecsShapes() throws Exception {
        JsonObject server = object(http.get("/v2").body());
        assertEquals("prism", server.get("name").getAsString());
        assertTrue(server.getAsJsonArray("extensions").size() > 0);
        assertEquals(object("{\"live\": true}"), object(http.get("/v2/health/live").body()));
        assertEquals(object("{\"ready\": true}"), object(http.get("/v2/health/ready").body()));
        ModelInfo info = models().getModel(GetModelRequest.newBuilder().setName("iris").build());
        assertEquals(object("{\"name\": \"iris\", \"ready\": true}"), object(http.get("/v2/models/iris/ready").body()));
        assertEquals(object("{\"name\": \"iris\", \"ready\": true}"),
                object(http.get("/v2/models/iris/versions/" + info.getVersion() + "/ready").body()));
        HttpResponse<String> notReady = http.get("/v2/models/iris/versions/0000000000000000/ready");
        assertEquals(503, notReady.statusCode());
        assertEquals(object("{\"name\": \"iris\", \"ready\": false}"), object(notReady.body()));

        JsonObject metadata = object(http.get("/v2/models/iris").body());
        assertEquals("iris", metadata.get("name").getAsString());
        assertEquals(info.getVersion(), metadata.getAsJsonArray("versions").get(0).getAsString());
        JsonObject input = metadata.getAsJsonArray("inputs").get(0).getAsJsonObject();
        assertEquals(info.getExplainedInput(), input.get("name").getAsString());
        assertEquals("[-1,4]", input.get("shape").toString(), "dimensions are JSON integers");
    }

    @Test
    void openInferenceRestInferIsPredictAndItsExplainParameterExplains() throws Exception {
        String tensor = "{\"name\": \"" + models().getModel(GetModelRequest.newBuilder().setName("iris").build())
                .getExplainedInput() + "\", \"shape\": [3, 4], \"datatype\": \"FP64\", \"data\": " + irisRows() + "}";
        HttpResponse<String> infer = http.post("/v2/models/iris/infer", "{\"id\": \"42\", \"inputs\": [" + tensor + "]}");
        assertEquals(200, infer.statusCode(), infer.body());
        JsonObject answer = object(infer.body());
        assertEquals("42", answer.get("id").getAsString());
        assertEquals("iris", answer.get("model_name").getAsString());
        JsonObject out = answer.getAsJsonArray("outputs").get(0).getAsJsonObject();
        PredictResponse grpc = models().predict(PredictRequest.newBuilder().setModel("iris").addInputs(iris()).build());
        List<Double> data = new ArrayList<>();
        out.getAsJsonArray("data").forEach(v -> data.add(v.getAsDouble()));
        List<Double> expected = new ArrayList<>();
        grpc.getOutputs(0).getDoubleDataList().forEach(v -> expected.add((double) v.floatValue()));
        assertEquals(expected, data, "the model's FP32 scores, as Predict gives them");
        assertEquals(grpc.getOutputs(0).getShapeList().toString().replace(" ", ""), out.get("shape").toString());

        HttpResponse<String> explained = http.post("/v2/models/iris/infer", "{\"inputs\": [" + tensor
                + "], \"parameters\": {\"explain\": \"exact_shapley\"}}");
        assertEquals(200, explained.statusCode(), explained.body());
        JsonObject e = object(explained.body());
        assertEquals("exact_shapley", e.getAsJsonObject("parameters").get("method").getAsString());
        JsonObject attributions = null;
        for (JsonElement o : e.getAsJsonArray("outputs")) {
            if (o.getAsJsonObject().get("name").getAsString().equals("attributions")) {
                attributions = o.getAsJsonObject();
            }
        }
        assertNotNull(attributions);
        ExplainResponse compact = ExplainServiceGrpc.newBlockingStub(channel).explain(ExplainRequest.newBuilder()
                .setModel("iris").addInputs(iris()).setExactShapley(ExactShapleyParams.getDefaultInstance())
                .setFormat(ResponseFormat.FORMAT_COMPACT).build());
        List<Double> fp32 = new ArrayList<>();
        compact.getSummary().getAttributions().getDoubleDataList().forEach(v -> fp32.add((double) v.floatValue()));
        List<Double> overHttp = new ArrayList<>();
        attributions.getAsJsonArray("data").forEach(v -> overHttp.add(v.getAsDouble()));
        assertEquals(fp32, overHttp);
        assertEquals("[3,4,3]", attributions.get("shape").toString());
    }

    @Test
    void anUnknownModelIs404InEachApisErrorStyle() throws Exception {
        HttpResponse<String> prismApi = http.get("/prism/v1/models/nope");
        assertEquals(404, prismApi.statusCode());
        com.google.rpc.Status s = status(prismApi.body());
        assertEquals(5, s.getCode());
        assertEquals("MODEL_NOT_FOUND", reason(s));
        for (String path : List.of("/v1/models/nope", "/v2/models/nope")) {
            HttpResponse<String> r = http.get(path);
            assertEquals(404, r.statusCode(), path);
            JsonObject body = object(r.body());
            assertTrue(body.get("error").getAsString().contains("nope"), r.body());
            assertEquals("MODEL_NOT_FOUND", reason(status(body.get("status").toString())), r.body());
        }
    }

    @Test
    void aBadFieldIs400WithItsFieldViolation() throws Exception {
        HttpResponse<String> r = http.post("/prism/v1/explain", "{\"model\": \"iris\", \"inputs\": [{\"shape\": [1, 4],"
                + " \"doubleData\": [1, 2, 3, 4]}], \"exactShapley\": {}, \"outputs\": [\"no_such_output\"]}");
        assertEquals(400, r.statusCode(), r.body());
        com.google.rpc.Status s = status(r.body());
        assertEquals("UNKNOWN_OUTPUT", reason(s));
        assertEquals("outputs[0]", badRequest(s).getFieldViolations(0).getField());

        HttpResponse<String> v1 = http.post("/v1/models/iris:explain", "{\"instances\": [[1, 2, 3, 4]],"
                + " \"method\": \"exact_shapley\", \"parameters\": {\"nsamples\": 10}}");
        assertEquals(400, v1.statusCode(), v1.body());
        com.google.rpc.Status v1Status = status(object(v1.body()).get("status").toString());
        assertEquals("INVALID_PARAMS", reason(v1Status));
        assertEquals("parameters.nsamples", badRequest(v1Status).getFieldViolations(0).getField());

        HttpResponse<String> ragged = http.post("/v1/models/iris:predict", "{\"instances\": [[1, 2, 3, 4], [1, 2]]}");
        assertEquals(400, ragged.statusCode(), ragged.body());
        assertEquals("instances", badRequest(status(object(ragged.body()).get("status").toString()))
                .getFieldViolations(0).getField());
    }

    @Test
    void malformedJsonIs400MalformedRequest() throws Exception {
        for (String path : List.of("/prism/v1/predict", "/v1/models/iris:predict", "/v2/models/iris/infer")) {
            HttpResponse<String> r = http.post(path, "{\"model\": \"iris\", ");
            assertEquals(400, r.statusCode(), path);
            String body = path.startsWith("/prism") ? r.body() : object(r.body()).get("status").toString();
            assertEquals("MALFORMED_REQUEST", reason(status(body)), r.body());
        }
        HttpResponse<String> unknownField = http.post("/prism/v1/predict", "{\"modle\": \"iris\"}");
        assertEquals(400, unknownField.statusCode());
        assertEquals("MALFORMED_REQUEST", reason(status(unknownField.body())));
    }

    @Test
    void queryParametersAreFieldsOfTheRequest() throws Exception {
        HttpResponse<String> r = http.get("/prism/v1/models/iris?no_such_field=1");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("no_such_field", badRequest(status(r.body())).getFieldViolations(0).getField());
        ExplainRequest.Builder b = QueryFields.apply(java.util.Map.of("model", "iris", "seed", "18446744073709551615",
                "backgroundKmeans", "7", "link", "LINK_LOGIT"), ExplainRequest.newBuilder());
        assertEquals(ExplainRequest.newBuilder().setModel("iris").setSeed(-1L).setBackgroundKmeans(7)
                .setLink(dev.prism.api.v1.Link.LINK_LOGIT).build(), b.build());
        dev.prism.error.PrismException bad = org.junit.jupiter.api.Assertions.assertThrows(
                dev.prism.error.PrismException.class,
                () -> QueryFields.apply(java.util.Map.of("background_kmeans", "many"), ExplainRequest.newBuilder()));
        assertEquals("background_kmeans", bad.violations().get(0).field());
    }

    @Test
    void anUnknownRouteIs404AndAWrongMethod405WithAllow() throws Exception {
        HttpResponse<String> none = http.get("/prism/v2/models");
        assertEquals(404, none.statusCode());
        assertTrue(object(none.body()).has("error"));
        HttpResponse<String> wrong = http.get("/prism/v1/predict");
        assertEquals(405, wrong.statusCode());
        assertEquals("POST", wrong.headers().firstValue("Allow").orElseThrow());
        HttpResponse<String> model = http.post("/v2/models/iris", "{}");
        assertEquals(405, model.statusCode());
        assertEquals("GET", model.headers().firstValue("Allow").orElseThrow());
    }

    @Test
    void theTimeoutHeaderIsTheCallsDeadline() throws Exception {
        ExplainRequest slow = ExplainRequest.newBuilder().setModel("iris").addInputs(iris())
                .setKernelShap(dev.prism.api.v1.KernelShapParams.newBuilder().setNsamples(1_000_000)).build();
        HttpResponse<String> r = http.post("/prism/v1/explain", slow, Exchange.TIMEOUT_HEADER, "0.001");
        assertEquals(504, r.statusCode(), r.body());
        assertEquals(4, status(r.body()).getCode());
        HttpResponse<String> bad = http.post("/prism/v1/explain", slow, Exchange.TIMEOUT_HEADER, "soon");
        assertEquals(400, bad.statusCode());
        assertEquals(Exchange.TIMEOUT_HEADER, badRequest(status(bad.body())).getFieldViolations(0).getField());
        assertFalse(bad.body().isEmpty());
    }
}
