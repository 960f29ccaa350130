package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.assertViolation;
import static dev.prism.server.ServerTestSupport.backgroundRows;
import static dev.prism.server.ServerTestSupport.counter;
import static dev.prism.server.ServerTestSupport.eventually;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static dev.prism.server.ServerTestSupport.gauge;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.RetryInfo;
import dev.prism.api.v1.DataType;
import dev.prism.api.v1.Estimate;
import dev.prism.api.v1.ExplainEvent;
import dev.prism.api.v1.ExactShapleyParams;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.Explanation;
import dev.prism.api.v1.KernelShapParams;
import dev.prism.api.v1.Link;
import dev.prism.api.v1.Progress;
import dev.prism.api.v1.Tensor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ExplainService over an in-process channel. Stateless checks share one server; those that read
 * meters or need special options (overload, cancellation, deadline, budget) start their own.
 */
class ExplainServiceTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final double[] IRIS_SETOSA = {5.1, 3.5, 1.4, 0.2};

    @TempDir
    static Path dir;
    static Path repo;
    static ServerTestSupport.InProcess prism;

    @BeforeAll
    static void start() throws Exception {
        repo = ServerTestSupport.repository(dir, "iris", "breast_cancer", "diabetes", "linear", "broken");
        prism = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(repo));
    }

    @AfterAll
    static void stop() throws Exception {
        prism.close();
    }

    // ---- results ----

    @Test
    void linearModelGetsItsExactShapleyValues() {
        double[] w = {0.5, -1.25, 2.0, 0.0, 3.5};
        double b = 0.75;
        assertEquals(ModelServiceTest.linear(new double[][] {{1, 0, 0, 0, 0}})[0], w[0] + b, 0,
                "the weights above are those of weights.json");
        double[][] bg = {{0, 0, 0, 0, 0}, {1, -1, 0.5, 2, -0.5}, {-2, 0.25, 1, -1, 1.5}};
        double[] weights = {1, 2, 5};
        double[][] x = {{1.5, 2, -0.5, 3, 0.25}, {-1, 0.75, 2.5, -4, 2}};

        ExplainResponse r = prism.explain().explain(ExplainRequest.newBuilder().setModel("linear")
                .addInputs(floats(2, ModelServiceTest.flatten(x)))
                .setBackground(floats(3, ModelServiceTest.flatten(bg)))
                .addBackgroundWeights(weights[0]).addBackgroundWeights(weights[1]).addBackgroundWeights(weights[2])
                .build());

        assertEquals("linear", r.getModel());
        assertEquals("exact_shapley", r.getMethod(), "no method: auto, which is exact for 5 features");
        assertEquals(List.of("f0", "f1", "f2", "f3", "f4"), r.getFeatureNamesList());
        assertEquals(2, r.getExplanationsCount());
        double[] pi = {1 / 8.0, 2 / 8.0, 5 / 8.0};
        double base = 0;
        double[] mean = new double[5];
        for (int k = 0; k < 3; k++) {
            base += pi[k] * ModelServiceTest.linear(new double[][] {bg[k]})[0];
            for (int i = 0; i < 5; i++) {
                mean[i] += pi[k] * bg[k][i];
            }
        }
        for (int n = 0; n < 2; n++) {
            Explanation e = r.getExplanations(n);
            assertEquals(n, e.getInstance());
            assertEquals("y", e.getOutput());
            assertEquals(base, e.getBaseValue(), 1e-4);
            assertEquals(ModelServiceTest.linear(new double[][] {x[n]})[0], e.getModelOutput(), 1e-4);
            assertEquals(5, e.getAttributionsCount());
            for (int i = 0; i < 5; i++) {
                assertEquals(w[i] * (x[n][i] - mean[i]), e.getAttributions(i), 1e-4, "instance " + n + " f" + i);
            }
            assertEquals(0, e.getStandardErrorsCount(), "exact results carry no standard errors");
            assertTrue(e.getDiagnostics().getEfficiencyGap() < 1e-9, "gap " + e.getDiagnostics().getEfficiencyGap());
            assertEquals(e.getModelOutput() - e.getBaseValue(), sum(e.getAttributionsList()), 1e-9);
            assertTrue(e.getDiagnostics().getExact());
            assertEquals(5, e.getDiagnostics().getVaryingFeatures());
            assertEquals(30, e.getDiagnostics().getCoalitions()); // 2^5 - 2, all enumerated
            assertEquals(30 * 3 + 1, e.getDiagnostics().getModelEvaluations());
        }
    }

    @Test
    void readmeIrisRequestExplainsEveryClass() throws Exception {
        ExplainRequest request = ExplainRequest.newBuilder().setModel("iris")
                .addInputs(Tensor.newBuilder().addShape(1).addShape(4)
                        .addFloatData(5.1f).addFloatData(3.5f).addFloatData(1.4f).addFloatData(0.2f))
                .setKernelShap(KernelShapParams.newBuilder().setNsamples(64))
                .setSeed(7)
                .build();
        assertEquals(request, readmeRequests().get("prism.v1.ExplainService/Explain"), "the README's grpcurl example");
        ExplainResponse r = prism.explain().explain(request);
        assertEquals(List.of("sepal_length", "sepal_width", "petal_length", "petal_width"), r.getFeatureNamesList());
        assertEquals(List.of("setosa", "versicolor", "virginica"),
                r.getExplanationsList().stream().map(Explanation::getOutput).toList());
        double outputs = 0;
        double bases = 0;
        for (Explanation e : r.getExplanationsList()) {
            assertEquals(0, e.getInstance());
            assertEquals(4, e.getAttributionsCount());
            assertEquals(e.getModelOutput() - e.getBaseValue(), sum(e.getAttributionsList()), 1e-9);
            assertTrue(e.getDiagnostics().getExact(), "64 >= 2^4 - 2: every coalition is enumerated");
            assertEquals(14, e.getDiagnostics().getCoalitions());
            assertEquals(14 * 100 + 1, e.getDiagnostics().getModelEvaluations());
            outputs += e.getModelOutput();
            bases += e.getBaseValue();
        }
        assertEquals(1, outputs, 1e-5, "class probabilities");
        assertEquals(1, bases, 1e-5, "mean class probabilities");
        assertTrue(r.getExplanations(0).getModelOutput() > 0.5, "a textbook setosa");
        assertTrue(r.getElapsedSeconds() > 0);
    }

    @Test
    void readmeStreamRequestStreamsToAResult() throws Exception {
        ExplainRequest request = readmeRequests().get("prism.v1.ExplainService/StreamExplain");
        List<ExplainEvent> events = new ArrayList<>();
        prism.explain().streamExplain(request).forEachRemaining(events::add);
        ExplainResponse result = events.get(events.size() - 1).getResult();
        assertEquals(List.of("malignant", "benign"), result.getExplanationsList().stream().map(Explanation::getOutput).toList());
        // nsamples left out: auto, 2M + 2048 = 2108 draws, fewer distinct coalitions.
        assertTrue(result.getExplanations(0).getDiagnostics().getCoalitions() <= 2108);
        assertEquals(30, result.getExplanations(0).getAttributionsCount());
    }

    /** The ExplainService requests of the README's grpcurl examples, by method, parsed as grpcurl would. */
    static Map<String, ExplainRequest> readmeRequests() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        Matcher m = Pattern.compile(
                "grpcurl -plaintext -d '([^']*)'\\s*\\\\?\\s*\\S+ (prism\\.v1\\.ExplainService/\\w+)").matcher(readme);
        Map<String, ExplainRequest> requests = new HashMap<>();
        while (m.find()) {
            ExplainRequest.Builder b = ExplainRequest.newBuilder();
            JsonFormat.parser().merge(m.group(1), b);
            requests.put(m.group(2), b.build());
        }
        assertEquals(Set.of("prism.v1.ExplainService/Explain", "prism.v1.ExplainService/StreamExplain"),
                requests.keySet());
        return requests;
    }

    @Test
    void requestedOutputsComeInTheRequestedOrder() {
        ExplainRequest all = ExplainRequest.newBuilder().setModel("iris").addInputs(floats(1, IRIS_SETOSA)).build();
        ExplainResponse full = prism.explain().explain(all);
        ExplainResponse two = prism.explain().explain(all.toBuilder().addOutputs("virginica").addOutputs("setosa").build());
        assertEquals(List.of("virginica", "setosa"), two.getExplanationsList().stream().map(Explanation::getOutput).toList());
        assertEquals(full.getExplanations(2).getAttributionsList(), two.getExplanations(0).getAttributionsList());
        assertEquals(full.getExplanations(0).getAttributionsList(), two.getExplanations(1).getAttributionsList());
    }

    /** The bundled iris model over gRPC against shap's KernelExplainer (golden file from tools/make_golden.py). */
    @Test
    void irisMatchesShapGolden() {
        JsonObject golden = JsonParser.parseString(ServerTestSupport.resource("/golden/kernel_shap_iris.json"))
                .getAsJsonObject();
        JsonArray instances = golden.getAsJsonArray("instances");
        Tensor.Builder t = Tensor.newBuilder().addShape(instances.size()).addShape(4);
        instances.forEach(row -> row.getAsJsonArray().forEach(v -> t.addDoubleData(v.getAsDouble())));
        ExplainResponse r = prism.explain().explain(ExplainRequest.newBuilder().setModel("iris").addInputs(t).build());

        assertEquals(instances.size() * 3, r.getExplanationsCount());
        for (int n = 0; n < instances.size(); n++) {
            for (int o = 0; o < 3; o++) {
                Explanation e = r.getExplanations(n * 3 + o);
                assertEquals(n, e.getInstance());
                assertEquals(golden.getAsJsonArray("output_names").get(o).getAsString(), e.getOutput());
                assertEquals(golden.getAsJsonArray("expected_value").get(o).getAsDouble(), e.getBaseValue(), 1e-6);
                assertEquals(golden.getAsJsonArray("model_output").get(n).getAsJsonArray().get(o).getAsDouble(),
                        e.getModelOutput(), 1e-6);
                JsonArray phi = golden.getAsJsonArray("shap_values").get(n).getAsJsonArray().get(o).getAsJsonArray();
                for (int f = 0; f < 4; f++) {
                    assertEquals(phi.get(f).getAsDouble(), e.getAttributions(f), 1e-6, "instance " + n + " output " + o);
                }
            }
        }
    }

    @Test
    void streamExplainReportsProgressThenOneResult() {
        ExplainRequest request = breastCancer(2, 2048).build();
        List<ExplainEvent> events = new ArrayList<>();
        prism.explain().streamExplain(request).forEachRemaining(events::add);

        ExplainEvent last = events.get(events.size() - 1);
        assertTrue(last.hasResult(), "the result is the last event");
        assertEquals(1, events.stream().filter(ExplainEvent::hasResult).count(), "exactly one result");
        List<Progress> progress = events.stream().filter(ExplainEvent::hasProgress).map(ExplainEvent::getProgress).toList();
        assertFalse(progress.isEmpty(), "progress before the result");
        for (int i = 1; i < progress.size(); i++) {
            assertTrue(progress.get(i).getEvaluationsDone() >= progress.get(i - 1).getEvaluationsDone(),
                    "evaluations_done never goes back: " + progress);
        }

        ExplainResponse result = last.getResult();
        assertEquals(4, result.getExplanationsCount());
        long evaluations = 100; // the background rows, evaluated once for the request
        for (int n = 0; n < 2; n++) {
            evaluations += result.getExplanations(2 * n).getDiagnostics().getModelEvaluations();
        }
        Progress finalProgress = events.get(events.size() - 2).getProgress();
        assertTrue(events.get(events.size() - 2).hasProgress());
        assertEquals(evaluations, finalProgress.getEvaluationsDone());
        assertEquals(evaluations, finalProgress.getEvaluationsTotal());

        List<String> order = result.getExplanationsList().stream()
                .map(e -> e.getInstance() + ":" + e.getOutput()).toList();
        assertEquals(List.of("0:malignant", "0:benign", "1:malignant", "1:benign"), order);
        for (Explanation e : result.getExplanationsList()) {
            assertFalse(e.getDiagnostics().getExact(), "2048 of 2^30 coalitions is an estimate");
            assertEquals(30, e.getAttributionsCount());
            assertEquals(30, e.getStandardErrorsCount());
            e.getStandardErrorsList().forEach(se -> assertTrue(se >= 0 && Double.isFinite(se), "se " + se));
            assertTrue(e.getStandardErrorsList().stream().anyMatch(se -> se > 0), "some feature is uncertain");
            assertEquals(e.getModelOutput() - e.getBaseValue(), sum(e.getAttributionsList()), 1e-9);
            assertTrue(e.getDiagnostics().getEfficiencyGap() < 1e-9);
        }
        // Two classes whose probabilities sum to 1: every coalition's value is mirrored, so are the attributions.
        for (int f = 0; f < 30; f++) {
            assertEquals(-result.getExplanations(0).getAttributions(f), result.getExplanations(1).getAttributions(f), 1e-6);
        }

        List<Estimate> estimates = progress.stream().flatMap(p -> p.getEstimatesList().stream()).toList();
        assertFalse(estimates.isEmpty(), "an estimated request streams running estimates");
        for (Estimate e : estimates) {
            assertTrue(e.getInstance() == 0 || e.getInstance() == 1);
            assertTrue(List.of("malignant", "benign").contains(e.getOutput()), e.getOutput());
            assertEquals(30, e.getAttributionsCount());
            assertEquals(30, e.getStandardErrorsCount());
        }
    }

    /** A client that does not read gets no stream of stale progress, and still its result. */
    @Test
    void slowReaderGetsCoalescedProgressAndTheResult(@TempDir Path own) throws Exception {
        try (ServerTestSupport.InProcess server = new ServerTestSupport.InProcess(
                ServerTestSupport.inProcessOptions(ServerTestSupport.repository(own, "breast_cancer")))) {
            BlockingQueue<ExplainEvent> events = new LinkedBlockingQueue<>();
            CompletableFuture<Status> done = new CompletableFuture<>();
            ClientCallStreamObserver<?>[] call = new ClientCallStreamObserver<?>[1];
            server.explainAsync().streamExplain(breastCancer(1, 20_000).build(),
                    new ClientResponseObserver<ExplainRequest, ExplainEvent>() {
                        @Override
                        public void beforeStart(ClientCallStreamObserver<ExplainRequest> r) {
                            call[0] = r;
                            r.disableAutoRequestWithInitial(1);
                        }

                        @Override
                        public void onNext(ExplainEvent e) {
                            events.add(e);
                        }

                        @Override
                        public void onError(Throwable t) {
                            done.complete(Status.fromThrowable(t));
                        }

                        @Override
                        public void onCompleted() {
                            done.complete(Status.OK);
                        }
                    });
            ExplainEvent first = events.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertTrue(first != null && first.hasProgress(), "first event: " + first);
            eventually(WAIT, () -> "the explanation done on the server", () -> counter(server.registry(),
                    "prism.explanations", "model", "breast_cancer", "status", "OK") == 1);
            assertTrue(events.isEmpty(), "nothing delivered beyond what was asked for");

            call[0].request(100);
            assertEquals(Status.Code.OK, done.get(WAIT.toSeconds(), TimeUnit.SECONDS).getCode());
            List<ExplainEvent> rest = new ArrayList<>(events);
            // Ticks are skipped while the client is not ready: what is left is the last progress and the result.
            assertEquals(2, rest.size(), "coalesced: " + rest.stream().map(e -> e.getEventCase().name()).toList());
            Progress last = rest.get(0).getProgress();
            assertTrue(last.getEvaluationsDone() > 0 && last.getEvaluationsDone() == last.getEvaluationsTotal(),
                    last.toString());
            assertEquals(2, rest.get(1).getResult().getExplanationsCount());
        }
    }

    @Test
    void logitLinkExplainsLogOdds() {
        ExplainRequest identity = ExplainRequest.newBuilder().setModel("iris").addInputs(floats(1, IRIS_SETOSA))
                .setExactShapley(ExactShapleyParams.getDefaultInstance()).build();
        ExplainResponse p = prism.explain().explain(identity);
        ExplainResponse logit = prism.explain().explain(identity.toBuilder().setLink(Link.LINK_LOGIT).build());
        for (int k = 0; k < 3; k++) {
            double prob = Math.min(Math.max(p.getExplanations(k).getModelOutput(), 1e-7), 1 - 1e-7);
            Explanation e = logit.getExplanations(k);
            assertEquals(Math.log(prob / (1 - prob)), e.getModelOutput(), 1e-9);
            double base = p.getExplanations(k).getBaseValue();
            assertEquals(Math.log(base / (1 - base)), e.getBaseValue(), 1e-9);
            assertEquals(e.getModelOutput() - e.getBaseValue(), sum(e.getAttributionsList()), 1e-9);
        }
    }

    @Test
    void sameSeedSameAttributionsOtherSeedOthers() {
        ExplainRequest seven = breastCancer(1, 500).setSeed(7).build();
        ExplainResponse a = prism.explain().explain(seven);
        ExplainResponse b = prism.explain().explain(seven);
        ExplainResponse c = prism.explain().explain(seven.toBuilder().setSeed(8).build());
        assertFalse(a.getExplanations(0).getDiagnostics().getExact());
        for (int k = 0; k < 2; k++) {
            assertEquals(a.getExplanations(k).getAttributionsList(), b.getExplanations(k).getAttributionsList());
            assertEquals(a.getExplanations(k).getStandardErrorsList(), b.getExplanations(k).getStandardErrorsList());
            assertNotEquals(a.getExplanations(k).getAttributionsList(), c.getExplanations(k).getAttributionsList());
        }
    }

    // ---- invalid requests ----

    static Stream<Arguments> invalidRequests() {
        ExplainRequest iris = ExplainRequest.newBuilder().setModel("iris").addInputs(floats(1, IRIS_SETOSA)).build();
        // linear is no tree ensemble: NaN is no value of its input (iris's forest takes it as missing).
        ExplainRequest linear = ExplainRequest.newBuilder().setModel("linear").addInputs(floats(1, 1, 2, 3, 4, 5))
                .setBackground(floats(1, 0, 0, 0, 0, 0)).build();
        Tensor infBackground = floats(2, 5, 3, 1, 0.2, 6, Double.POSITIVE_INFINITY, 5, 2);
        return Stream.of(
                Arguments.of("unknown model", iris.toBuilder().setModel("no_such_model").build(),
                        Status.Code.NOT_FOUND, "MODEL_NOT_FOUND", null),
                Arguments.of("missing model", iris.toBuilder().clearModel().build(),
                        Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS", "model"),
                Arguments.of("no input tensor", iris.toBuilder().clearInputs().build(),
                        Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR", "inputs"),
                Arguments.of("wrong rank", iris.toBuilder().setInputs(0, Tensor.newBuilder().addShape(4)
                                .addFloatData(5.1f).addFloatData(3.5f).addFloatData(1.4f).addFloatData(0.2f)).build(),
                        Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR", "inputs[0].shape"),
                Arguments.of("wrong feature count", iris.toBuilder().setInputs(0, floats(1, 5.1, 3.5, 1.4)).build(),
                        Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR", "inputs[0].shape[1]"),
                Arguments.of("values do not fill the shape", iris.toBuilder().setInputs(0,
                                floats(1, IRIS_SETOSA).toBuilder().setShape(0, 2)).build(),
                        Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR", "inputs[0]"),
                Arguments.of("dtype disagrees with the values' field", iris.toBuilder().setInputs(0,
                                floats(1, IRIS_SETOSA).toBuilder().setDtype(DataType.DATA_TYPE_INT64)).build(),
                        Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR", "inputs[0].dtype"),
                Arguments.of("wrong input name", iris.toBuilder().setInputs(0,
                                floats(1, IRIS_SETOSA).toBuilder().setName("x")).build(),
                        Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR", "inputs[0].name"),
                Arguments.of("NaN in the inputs", linear.toBuilder().setInputs(0, floats(1, 1, Double.NaN, 3, 4, 5))
                                .build(),
                        Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR", "inputs[0]"),
                Arguments.of("NaN in the background", linear.toBuilder().setBackground(floats(1, 0, 0, Double.NaN, 0, 0))
                                .build(),
                        Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR", "background"),
                Arguments.of("Inf in the inputs of a tree ensemble", iris.toBuilder().setInputs(0,
                                floats(1, 5.1, Double.NEGATIVE_INFINITY, 1.4, 0.2)).build(),
                        Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR", "inputs[0]"),
                Arguments.of("Inf in the background", iris.toBuilder().setBackground(infBackground).build(),
                        Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR", "background"),
                Arguments.of("background of the wrong width", iris.toBuilder().setBackground(floats(2, 1, 2, 3, 4, 5, 6))
                                .build(),
                        Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR", "background.shape[1]"),
                Arguments.of("background over 10000 rows", iris.toBuilder().setBackground(
                                floats(10_001, new double[10_001 * 4])).build(),
                        Status.Code.INVALID_ARGUMENT, "BUDGET_EXCEEDED", "background.shape[0]"),
                Arguments.of("background weights without a background", iris.toBuilder().addBackgroundWeights(1).build(),
                        Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS", "background_weights"),
                Arguments.of("a weight per background row", iris.toBuilder().setBackground(floats(2, 1, 2, 3, 4, 5, 6, 7, 8))
                                .addBackgroundWeights(1).build(),
                        Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS", "background_weights"),
                Arguments.of("negative background weight", iris.toBuilder().setBackground(floats(2, 1, 2, 3, 4, 5, 6, 7, 8))
                                .addBackgroundWeights(1).addBackgroundWeights(-1).build(),
                        Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS", "background_weights[1]"),
                Arguments.of("nsamples 1", iris.toBuilder().setKernelShap(KernelShapParams.newBuilder().setNsamples(1))
                                .build(),
                        Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS", "kernel_shap.nsamples"),
                Arguments.of("nsamples 2,000,000: past the server's max_samples", iris.toBuilder().setKernelShap(
                                KernelShapParams.newBuilder().setNsamples(2_000_000)).build(),
                        Status.Code.INVALID_ARGUMENT, "BUDGET_EXCEEDED", "kernel_shap.nsamples"),
                Arguments.of("nsamples 500,000: past KernelSHAP's own limit", iris.toBuilder().setKernelShap(
                                KernelShapParams.newBuilder().setNsamples(500_000)).build(),
                        Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS", "kernel_shap.nsamples"),
                Arguments.of("unknown output", iris.toBuilder().addOutputs("daisy").build(),
                        Status.Code.INVALID_ARGUMENT, "UNKNOWN_OUTPUT", "outputs[0]"),
                Arguments.of("output listed twice", iris.toBuilder().addOutputs("setosa").addOutputs("setosa").build(),
                        Status.Code.INVALID_ARGUMENT, "UNKNOWN_OUTPUT", "outputs[1]"),
                Arguments.of("model without a background", ExplainRequest.newBuilder().setModel("linear")
                                .addInputs(floats(1, 1, 2, 3, 4, 5)).build(),
                        Status.Code.INVALID_ARGUMENT, "BACKGROUND_REQUIRED", "background"),
                Arguments.of("logit link on regression outputs", ExplainRequest.newBuilder().setModel("diabetes")
                                .addInputs(floats(1, backgroundRows("diabetes", 1))).setLink(Link.LINK_LOGIT).build(),
                        Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS", "link"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidRequests")
    void invalidRequestsAreRefusedWithTheirField(String what, ExplainRequest request, Status.Code code, String reason,
                                                 String field) {
        StatusRuntimeException unary = failure(() -> prism.explain().explain(request));
        assertStatus(unary, code, reason);
        if (field != null) {
            assertViolation(unary, field);
        } else {
            assertTrue(ServerTestSupport.detail(unary, com.google.rpc.BadRequest.class).isEmpty());
        }
        // StreamExplain validates the same way, before any event.
        Iterator<ExplainEvent> stream = prism.explain().streamExplain(request);
        StatusRuntimeException streamed = failure(stream::hasNext);
        assertStatus(streamed, code, reason);
        assertEquals(unary.getStatus().getDescription(), streamed.getStatus().getDescription());
    }

    @Test
    void nanIsNamedInTheViolation() {
        StatusRuntimeException e = failure(() -> prism.explain().explain(ExplainRequest.newBuilder().setModel("linear")
                .addInputs(floats(1, 1, Double.NaN, 3, 4, 5)).setBackground(floats(1, 0, 0, 0, 0, 0)).build()));
        String description = assertViolation(e, "inputs[0]");
        assertTrue(description.contains("value 1") && description.contains("NaN"), description);
    }

    @Test
    void requestsOverTheEvaluationBudgetAreRefused(@TempDir Path own) throws Exception {
        ServerOptions options = ServerTestSupport.withMaxEvaluations(
                ServerTestSupport.inProcessOptions(ServerTestSupport.repository(own, "iris")), 1500);
        try (ServerTestSupport.InProcess small = new ServerTestSupport.InProcess(options)) {
            // One iris instance over the 100-row default background: 14 coalitions * 100 + 1 + 100 = 1501.
            ExplainRequest request = ExplainRequest.newBuilder().setModel("iris").addInputs(floats(1, IRIS_SETOSA))
                    .setExactShapley(ExactShapleyParams.getDefaultInstance()).build();
            StatusRuntimeException e = failure(() -> small.explain().explain(request));
            assertStatus(e, Status.Code.INVALID_ARGUMENT, "BUDGET_EXCEEDED");
            String description = assertViolation(e, "inputs");
            assertTrue(description.contains("1501") && description.contains("1500"), description);

            // Under the budget with a smaller background: 14 * 10 + 1 + 10 = 151.
            ExplainResponse ok = small.explain().explain(request.toBuilder()
                    .setBackground(floats(10, backgroundRows("iris", 10))).build());
            assertEquals(14 * 10 + 1, ok.getExplanations(0).getDiagnostics().getModelEvaluations());
        }
    }

    // ---- failures, overload, cancellation, deadline ----

    @Test
    void brokenModelFailsAsModelExecutionAndTheServerCarriesOn() {
        StatusRuntimeException e = failure(() -> prism.explain().explain(ExplainRequest.newBuilder().setModel("broken")
                .addInputs(floats(1, 2, 3)).setBackground(floats(2, 0, 0, 1, 1)).build()));
        assertStatus(e, Status.Code.INTERNAL, "MODEL_EXECUTION_FAILED");
        LoggedFailures.idOf(e, "the model failed in ONNX Runtime ");
        // Streamed, the failure ends the stream after its progress events, the same way.
        Iterator<ExplainEvent> stream = prism.explain().streamExplain(ExplainRequest.newBuilder().setModel("broken")
                .addInputs(floats(1, 2, 3)).setBackground(floats(2, 0, 0, 1, 1)).build());
        StatusRuntimeException streamed = failure(() -> {
            while (stream.hasNext()) {
                assertTrue(stream.next().hasProgress(), "no result from a broken model");
            }
        });
        assertStatus(streamed, Status.Code.INTERNAL, "MODEL_EXECUTION_FAILED");
        LoggedFailures.idOf(streamed, "the model failed in ONNX Runtime ");
        assertEquals(2, counter(prism.registry(), "prism.explanations", "model", "broken", "status", "INTERNAL"));

        ExplainResponse iris = prism.explain().explain(ExplainRequest.newBuilder().setModel("iris")
                .addInputs(floats(1, IRIS_SETOSA)).build());
        assertEquals(3, iris.getExplanationsCount());
    }

    @Test
    void fullExplainPoolRefusesWithQueueFull(@TempDir Path own) throws Exception {
        ServerOptions options = ServerTestSupport.inProcessOptions(ServerTestSupport.repository(own, "breast_cancer", "iris"))
                .withExplainPool(1, 1);
        try (ServerTestSupport.InProcess small = new ServerTestSupport.InProcess(options)) {
            ExplainRequest longRequest = breastCancer(8, 200_000).build();
            ServerTestSupport.StreamCall running = ServerTestSupport.StreamCall.start(small.explainAsync(), longRequest);
            assertTrue(running.next(WAIT).hasProgress());

            ServerTestSupport.StreamCall queued = ServerTestSupport.StreamCall.start(small.explainAsync(), longRequest);
            ServerTestSupport.awaitQueued(small.registry(), 1);
            Thread.sleep(3 * ProgressStream.INTERVAL_MILLIS);
            assertTrue(queued.events.isEmpty(), "a call still waiting for a thread gets no progress: " + queued.events);

            Iterator<ExplainEvent> third = small.explain().streamExplain(longRequest);
            StatusRuntimeException refused = failure(third::hasNext);
            assertStatus(refused, Status.Code.RESOURCE_EXHAUSTED, "QUEUE_FULL");
            RetryInfo retry = ServerTestSupport.retryInfo(refused);
            assertEquals(1, retry.getRetryDelay().getSeconds());
            assertEquals(1, counter(small.registry(), "prism.explanations",
                    "model", "breast_cancer", "status", "RESOURCE_EXHAUSTED"));
            assertFalse(running.done.isDone());
            assertFalse(queued.done.isDone());

            running.cancel();
            queued.cancel();
            assertEquals(Status.Code.CANCELLED, running.awaitEnd(WAIT).getCode());
            assertEquals(Status.Code.CANCELLED, queued.awaitEnd(WAIT).getCode());
            eventually(WAIT, () -> "both cancellations recorded", () -> counter(small.registry(),
                    "prism.explanations", "model", "breast_cancer", "status", "CANCELLED") == 2);
            // The pool is free again.
            assertEquals(3, small.explain().explain(ExplainRequest.newBuilder().setModel("iris")
                    .addInputs(floats(1, IRIS_SETOSA)).build()).getExplanationsCount());
        }
    }

    @Test
    void fullModelQueueRefusesWithQueueFull(@TempDir Path own) throws Exception {
        ServerOptions options = ServerTestSupport.inProcessOptions(ServerTestSupport.repository(own, "breast_cancer"))
                .withBatching(null, null, 1000L, null);
        try (ServerTestSupport.InProcess small = new ServerTestSupport.InProcess(options)) {
            // Four instances (about 12 s on two cores): still running when the refusal has come and
            // the cancel reaches it, however fast the machine.
            ServerTestSupport.StreamCall running = ServerTestSupport.StreamCall.start(small.explainAsync(),
                    breastCancer(4, 200_000).build());
            assertTrue(running.next(WAIT).hasProgress());
            // The running request keeps far more than 1000 rows queued, nearly all the time: a new
            // request is refused at admission (one admitted in a lull just runs alongside).
            ExplainRequest next = breastCancer(1, 2).build();
            StatusRuntimeException[] refused = new StatusRuntimeException[1];
            eventually(WAIT, () -> "a refusal", () -> {
                try {
                    small.explain().withDeadlineAfter(30, TimeUnit.SECONDS).explain(next);
                    return false;
                } catch (StatusRuntimeException e) {
                    refused[0] = e;
                    return true;
                }
            });
            assertStatus(refused[0], Status.Code.RESOURCE_EXHAUSTED, "QUEUE_FULL");
            assertTrue(refused[0].getStatus().getDescription().contains("limit 1000"),
                    refused[0].getStatus().getDescription());
            assertEquals(1, ServerTestSupport.retryInfo(refused[0]).getRetryDelay().getSeconds());
            running.cancel();
            assertEquals(Status.Code.CANCELLED, running.awaitEnd(WAIT).getCode());
        }
    }

    @Test
    void clientCancellationStopsTheWorkAndEmptiesTheQueue(@TempDir Path own) throws Exception {
        try (ServerTestSupport.InProcess server = new ServerTestSupport.InProcess(
                ServerTestSupport.inProcessOptions(ServerTestSupport.repository(own, "breast_cancer")))) {
            MeterRegistry registry = server.registry();
            ServerTestSupport.StreamCall call = ServerTestSupport.StreamCall.start(server.explainAsync(),
                    breastCancer(4, 200_000).build());
            assertTrue(call.next(WAIT).hasProgress());
            eventually(WAIT, () -> "rows queued for one job while it runs",
                    () -> gauge(registry, "prism.scheduler.queue.rows", "model", "breast_cancer", "graph", "") > 0
                            && gauge(registry, "prism.scheduler.jobs", "model", "breast_cancer", "graph", "") == 1);

            // The job's queued rows are dropped within 50 ms of the client's cancel.
            long cancelled = System.nanoTime();
            call.cancel();
            while (gauge(registry, "prism.scheduler.queue.rows", "model", "breast_cancer", "graph", "") > 0
                    && System.nanoTime() - cancelled < TimeUnit.SECONDS.toNanos(10)) {
                Thread.onSpinWait();
            }
            double freedMillis = (System.nanoTime() - cancelled) / 1e6;
            assertTrue(freedMillis <= 50, "queued rows dropped " + freedMillis + " ms after the cancel");
            assertEquals(Status.Code.CANCELLED, call.awaitEnd(WAIT).getCode());
            eventually(Duration.ofSeconds(10), () -> "the cancellation recorded",
                    () -> counter(registry, "prism.explanations", "model", "breast_cancer", "status", "CANCELLED") == 1);
            eventually(Duration.ofSeconds(10), () -> "an empty queue, now "
                            + gauge(registry, "prism.scheduler.queue.rows", "model", "breast_cancer", "graph", ""),
                    () -> gauge(registry, "prism.scheduler.queue.rows", "model", "breast_cancer", "graph", "") == 0);
            assertEquals(0, gauge(registry, "prism.scheduler.jobs", "model", "breast_cancer", "graph", ""));
            assertEquals(0, counter(registry, "prism.explanations", "model", "breast_cancer", "status", "OK"));
            assertTrue(call.events.stream().noneMatch(ExplainEvent::hasResult));
        }
    }

    /**
     * The client's deadline passes while the server works. The server learns of it as a cancellation
     * of the call; {@link AnswerChannel} records DEADLINE_EXCEEDED when the call's deadline has
     * passed by the time the cancellation is handled, CANCELLED otherwise. Here the server's copy of
     * the deadline (taken from the grpc-timeout header when the call arrived) has passed when the
     * cancellation is handled, so DEADLINE_EXCEEDED it must be; see RealServerTest for the same over TCP.
     */
    @Test
    void deadlineEndsTheCallAndIsRecordedAsSuch(@TempDir Path own) throws Exception {
        try (ServerTestSupport.InProcess server = new ServerTestSupport.InProcess(
                ServerTestSupport.inProcessOptions(ServerTestSupport.repository(own, "breast_cancer")))) {
            MeterRegistry registry = server.registry();
            // Warm the Explain path of this server, so that the call below reaches the explainer in time.
            server.explain().explain(breastCancer(1, 2).build());
            StatusRuntimeException e = failure(() -> server.explain().withDeadlineAfter(300, TimeUnit.MILLISECONDS)
                    .explain(breastCancer(4, 200_000).build()));
            assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
            eventually(Duration.ofSeconds(10), () -> "the deadline recorded", () -> counter(registry,
                    "prism.explanations", "model", "breast_cancer", "status", "DEADLINE_EXCEEDED") == 1);
            assertEquals(0, counter(registry, "prism.explanations", "model", "breast_cancer", "status", "CANCELLED"));
            eventually(Duration.ofSeconds(10), () -> "an empty queue",
                    () -> gauge(registry, "prism.scheduler.queue.rows", "model", "breast_cancer", "graph", "") == 0);
        }
    }

    // ---- helpers ----

    /** Explains the first n rows of breast_cancer's background with nsamples coalitions. */
    static ExplainRequest.Builder breastCancer(int n, long nsamples) {
        return ExplainRequest.newBuilder().setModel("breast_cancer")
                .addInputs(floats(n, backgroundRows("breast_cancer", n)))
                .setKernelShap(KernelShapParams.newBuilder().setNsamples(nsamples));
    }

    static double sum(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).sum();
    }
}
