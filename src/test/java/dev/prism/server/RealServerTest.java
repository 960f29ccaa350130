package dev.prism.server;

import static dev.prism.server.ServerTestSupport.backgroundRows;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.GetModelRequest;
import dev.prism.api.v1.KernelShapParams;
import dev.prism.api.v1.ModelServiceGrpc;
import dev.prism.error.Reason;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server as deployed: Netty on a free TCP port, health and the Prometheus endpoint. */
class RealServerTest {
    @TempDir
    static Path dir;
    static PrismServer server;
    static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        server = PrismServer.start(ServerOptions.defaults(ServerTestSupport.repository(dir, "iris", "breast_cancer"))
                .withPorts(0, 0));
        assertTrue(server.port() > 0, "bound to a free port");
        assertTrue(server.metricsPort() > 0, "metrics bound to a free port");
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        // Connect now (health is not metered), so that short deadlines below are spent on the call itself.
        HealthGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance());
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        server.close();
    }

    /** The only test that touches iris, so the iris series hold exactly this one request. */
    @Test
    void explainOverTcpShowsUpInTheMetrics() throws Exception {
        ExplainResponse r = ExplainServiceGrpc.newBlockingStub(channel).explain(ExplainRequest.newBuilder()
                .setModel("iris").addInputs(floats(1, 5.1, 3.5, 1.4, 0.2))
                .setKernelShap(KernelShapParams.newBuilder().setNsamples(64)).setSeed(7).build());
        assertEquals(3, r.getExplanationsCount());
        long perInstance = r.getExplanations(0).getDiagnostics().getModelEvaluations();
        assertEquals(14 * 100 + 1, perInstance);
        double rows = perInstance + 100; // plus the background rows, evaluated once for f's mean
        assertEquals(1501, rows);

        // Micrometer records the call when the server closes it, which may be just after the client sees it.
        Scrape scrape = Scrape.get(server.metricsPort());
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (scrape.find("grpc_server_processing_duration_seconds_count", Map.of("method", "Explain")).isEmpty()
                && System.nanoTime() < until) {
            Thread.sleep(20);
            scrape = Scrape.get(server.metricsPort());
        }
        assertEquals(200, scrape.status);
        assertTrue(scrape.contentType.startsWith("text/plain"), scrape.contentType);

        // Every method of iris is counted from zero; the one request is kernel_shap's, and no other status shows.
        Map<String, Double> expected = new HashMap<>();
        MethodTable.names().forEach(m -> expected.put(m + " OK", m.equals("kernel_shap") ? 1.0 : 0.0));
        assertEquals(expected, scrape.find("prism_explanations_total", Map.of("model", "iris")).stream().collect(
                Collectors.toMap(s -> s.labels().get("method") + " " + s.labels().get("status"), Scrape.Sample::value)));
        assertEquals(rows, scrape.value("prism_model_rows_total", Map.of("model", "iris")));
        assertTrue(scrape.value("prism_scheduler_batch_rows_count", Map.of("model", "iris")) > 0);
        assertEquals(rows, scrape.value("prism_scheduler_batch_rows_sum", Map.of("model", "iris")));
        assertEquals(rows, scrape.value("prism_explanation_model_evaluations_sum",
                Map.of("model", "iris", "method", "kernel_shap")));
        // 64 samples enumerate all 16 coalitions of 4 features: exact values, gaps but no standard errors.
        Map<String, String> irisShap = Map.of("model", "iris", "method", "kernel_shap");
        assertTrue(r.getExplanationsList().stream().allMatch(e -> e.getStandardErrorsCount() == 0));
        assertEquals(3.0, scrape.value("prism_explanation_efficiency_gap_count", irisShap));
        assertEquals(List.of(), scrape.find("prism_explanation_standard_error_count", irisShap),
                "a histogram's series appears with its first value");
        assertEquals(0.0, scrape.value("prism_scheduler_queue_rows", Map.of("model", "iris")));
        assertEquals(0.0, scrape.value("prism_scheduler_jobs", Map.of("model", "iris")));

        Map<String, String> explainCall = Map.of("service", "prism.v1.ExplainService", "method", "Explain",
                "methodType", "UNARY");
        assertEquals(1.0, scrape.value("grpc_server_requests_received_messages_total", explainCall));
        assertEquals(1.0, scrape.value("grpc_server_responses_sent_messages_total", explainCall));
        Map<String, String> ok = new HashMap<>(explainCall);
        ok.put("statusCode", "OK");
        assertEquals(1.0, scrape.value("grpc_server_processing_duration_seconds_count", ok));
    }

    /** The only test on this server that touches breast_cancer. */
    @Test
    void explanationQualityShowsUpInTheMetrics() throws Exception {
        double[] instance = {17.99, 10.38, 122.8, 1001, 0.1184, 0.2776, 0.3001, 0.1471, 0.2419, 0.07871, 1.095,
                0.9053, 8.589, 153.4, 0.006399, 0.04904, 0.05373, 0.01587, 0.03003, 0.006193, 25.38, 17.33, 184.6,
                2019, 0.1622, 0.6656, 0.7119, 0.2654, 0.4601, 0.1189};
        ExplainResponse r = ExplainServiceGrpc.newBlockingStub(channel).explain(ExplainRequest.newBuilder()
                .setModel("breast_cancer").addInputs(floats(1, instance))
                .setKernelShap(KernelShapParams.newBuilder().setNsamples(256)).setSeed(7).build());
        assertEquals(2, r.getExplanationsCount());
        double[] gaps = new double[2];
        double[] meanErrors = new double[2];
        for (int i = 0; i < 2; i++) {
            var e = r.getExplanations(i);
            gaps[i] = e.getDiagnostics().getEfficiencyGap();
            // Summed in the server's order, so that a value on a bucket's bound falls on the same side.
            for (double se : e.getStandardErrorsList()) {
                meanErrors[i] += se;
            }
            meanErrors[i] /= e.getStandardErrorsCount();
        }
        assertTrue(meanErrors[0] > 0 && meanErrors[1] > 0, "256 of 2^30 coalitions: the values are estimates");
        // Quality is recorded before the response is sent.
        Scrape scrape = Scrape.get(server.metricsPort());
        Map<String, String> tags = Map.of("model", "breast_cancer", "method", "kernel_shap");
        assertEquals(2.0, scrape.value("prism_explanation_efficiency_gap_count", tags));
        double gapSum = gaps[0] + gaps[1];
        assertEquals(gapSum, scrape.value("prism_explanation_efficiency_gap_sum", tags), 1e-12 + 1e-9 * gapSum);
        assertEquals(2.0, scrape.value("prism_explanation_standard_error_count", tags));
        double errorSum = meanErrors[0] + meanErrors[1];
        assertEquals(errorSum, scrape.value("prism_explanation_standard_error_sum", tags), 1e-9 * errorSum);
        // Histograms with fixed buckets below 1 (15 bounds and +Inf each): each bucket counts the response's
        // values at or below it.
        assertBuckets(scrape, "prism_explanation_efficiency_gap", tags, gaps, 16);
        assertBuckets(scrape, "prism_explanation_standard_error", tags, meanErrors, 16);
        // KernelSHAP keeps efficiency up to round-off.
        assertTrue(gaps[0] < 1e-9 && gaps[1] < 1e-9, Arrays.toString(gaps));
        assertEquals(2.0, bucket(scrape, "prism_explanation_efficiency_gap", tags, 1e-9));
        assertTrue(meanErrors[0] < 0.3 && meanErrors[1] < 0.3, Arrays.toString(meanErrors));
        assertEquals(2.0, bucket(scrape, "prism_explanation_standard_error", tags, 0.3),
                "errors below 0.3 are counted below the bucket of 1");
    }

    /** Every bucket of the histogram's series counts the values at or below its bound. */
    private static void assertBuckets(Scrape scrape, String name, Map<String, String> tags, double[] values,
                                      int buckets) {
        List<Scrape.Sample> found = scrape.find(name + "_bucket", tags);
        assertEquals(buckets, found.size(), name + tags + ": " + found);
        for (Scrape.Sample s : found) {
            double bound = Scrape.parse(s.labels().get("le"));
            assertEquals(Arrays.stream(values).filter(v -> v <= bound).count(), s.value(), 0,
                    name + " le=" + s.labels().get("le") + " of " + Arrays.toString(values));
        }
    }

    private static double bucket(Scrape scrape, String name, Map<String, String> tags, double bound) {
        Map<String, String> le = new HashMap<>(tags);
        le.put("le", String.valueOf(bound));
        return scrape.value(name + "_bucket", le);
    }

    /** Nothing on this server asks for breast_cancer's attribution graphs. */
    @Test
    void theEndpointKeepsToPrometheusConventionsAndShowsNoHistogramsOfIdleGraphs() throws Exception {
        Scrape scrape = Scrape.get(server.metricsPort());
        assertTrue(scrape.value("process_cpu_seconds_total", Map.of()) > 0);
        assertEquals(List.of(), scrape.samples.stream().map(Scrape.Sample::name).filter(n -> n.endsWith("_max"))
                .distinct().toList());
        // The scheduler of a graph is told apart by its graph label; its counters and gauges are there at zero.
        for (String graph : List.of("deep_lift", "gradient")) {
            Map<String, String> tags = Map.of("model", "breast_cancer", "graph", graph);
            for (String series : List.of("prism_model_rows_total", "prism_model_run_failures_total",
                    "prism_scheduler_queue_rows", "prism_scheduler_jobs")) {
                assertEquals(0.0, scrape.value(series, tags), series + tags);
            }
            for (String histogram : List.of("prism_model_run_seconds", "prism_scheduler_batch_rows",
                    "prism_scheduler_queue_wait_seconds")) {
                for (String suffix : List.of("_bucket", "_count", "_sum")) {
                    assertEquals(List.of(), scrape.find(histogram + suffix, tags), histogram + suffix + tags);
                }
            }
        }
        assertEquals(List.of("", "deep_lift", "gradient"), scrape.find("prism_model_rows_total",
                Map.of("model", "breast_cancer")).stream().map(s -> s.labels().get("graph")).sorted().toList());
        assertEquals(List.of(), scrape.samples.stream().filter(s -> s.labels().getOrDefault("model", "").contains("/"))
                .toList());
    }

    /** Nothing on this server asks for saliency, so its series is the one registered when the models loaded. */
    @Test
    void explanationsOfEveryServedModelAndMethodAreCountedFromZero() throws Exception {
        Scrape scrape = Scrape.get(server.metricsPort());
        assertTrue(scrape.lines.contains(
                        "prism_explanations_total{method=\"saliency\",model=\"breast_cancer\",status=\"OK\"} 0.0"),
                "no line of breast_cancer's saliency at zero");
        for (String model : List.of("breast_cancer", "iris")) {
            assertEquals(MethodTable.names().stream().sorted().toList(), scrape.find("prism_explanations_total",
                            Map.of("model", model, "status", "OK")).stream().map(s -> s.labels().get("method")).sorted()
                    .toList(), model);
        }
        assertEquals(0.0, scrape.value("prism_explanations_total",
                Map.of("model", "iris", "method", "tree_shap", "status", "OK")));
    }

    @Test
    void errorsAreCountedByReasonFromZero() throws Exception {
        Scrape before = Scrape.get(server.metricsPort());
        assertEquals(Arrays.stream(Reason.values()).map(Reason::name).sorted().toList(),
                before.find("prism_errors_total", Map.of()).stream().map(s -> s.labels().get("reason")).sorted()
                        .toList());
        // On the model service: the Explain calls of this server are the other tests'.
        StatusRuntimeException e = failure(() -> ModelServiceGrpc.newBlockingStub(channel).getModel(
                GetModelRequest.newBuilder().setName("no_such_model").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        Map<String, String> notFound = Map.of("reason", "MODEL_NOT_FOUND");
        assertEquals(before.value("prism_errors_total", notFound) + 1,
                Scrape.get(server.metricsPort()).value("prism_errors_total", notFound));
    }

    @Test
    void metricsEndpointOnlyAnswersGet() throws Exception {
        HttpResponse<String> post = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.metricsPort() + "/metrics"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode());
    }

    @Test
    void healthIsServing() {
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
        for (String service : List.of("", "prism.v1.ExplainService", "prism.v1.ModelService")) {
            assertEquals(HealthCheckResponse.ServingStatus.SERVING,
                    health.check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus(), service);
        }
        StatusRuntimeException unknown = failure(() -> health.check(
                HealthCheckRequest.newBuilder().setService("prism.v1.NoSuchService").build()));
        assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
    }

    /**
     * Over TCP the client's own deadline timer and the server's copy of the deadline race: the
     * client's cancellation can reach the server a little before the server's deadline has passed.
     * A call that ends because its deadline passed must still be recorded as DEADLINE_EXCEEDED, never
     * as a client cancellation. Repeated, because a single call hits the race only some of the time.
     */
    @Test
    void deadlinesOverTcpAreRecordedAsDeadlines(@TempDir Path own) throws Exception {
        // A server of its own: these calls must not count in the other tests' gRPC series.
        try (PrismServer tcp = PrismServer.start(ServerOptions.defaults(ServerTestSupport.repository(own, "breast_cancer"))
                .withPorts(0, -1))) {
            ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", tcp.port()).usePlaintext().build();
            try {
                HealthGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                        .check(HealthCheckRequest.getDefaultInstance());
                ExplainServiceGrpc.ExplainServiceBlockingStub stub = ExplainServiceGrpc.newBlockingStub(ch);
                ExplainRequest longRequest = ExplainRequest.newBuilder().setModel("breast_cancer")
                        .addInputs(floats(2, backgroundRows("breast_cancer", 2)))
                        .setKernelShap(KernelShapParams.newBuilder().setNsamples(100_000)).build();
                // Warm the Explain path on this server, so that the calls below reach the explainer in time.
                assertEquals(4, stub.explain(longRequest.toBuilder().setKernelShap(
                        KernelShapParams.newBuilder().setNsamples(2)).build()).getExplanationsCount());
                int calls = 20;
                int reached = 0;
                for (int i = 0; i < calls; i++) {
                    StatusRuntimeException e = failure(() -> stub.withDeadlineAfter(300, TimeUnit.MILLISECONDS)
                            .explain(longRequest));
                    assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
                    // A call whose deadline passes before the server dispatches it (a loaded machine) is never
                    // recorded; one that ran is recorded within moments of the deadline.
                    int before = reached;
                    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                    while (reached == before && System.nanoTime() < until) {
                        reached = (int) ServerTestSupport.statuses(tcp.registry(), "breast_cancer").entrySet().stream()
                                .filter(s -> !s.getKey().equals("OK")).mapToDouble(Map.Entry::getValue).sum();
                        Thread.sleep(10);
                    }
                }
                assertTrue(reached >= calls / 2, "only " + reached + " of " + calls + " calls reached the server");
                assertEquals(Map.of("OK", 1.0, "DEADLINE_EXCEEDED", (double) reached),
                        ServerTestSupport.statuses(tcp.registry(), "breast_cancer"),
                        "calls that ran out of time must not be recorded as client cancellations");
            } finally {
                ch.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            }
        }
    }

    /** One scrape of the Prometheus endpoint, parsed into samples. */
    static final class Scrape {
        private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)(?:\\s+\\d+)?$");
        private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

        record Sample(String name, Map<String, String> labels, double value) {}

        final int status;
        final String contentType;
        final List<String> lines;
        final List<Sample> samples = new ArrayList<>();

        private Scrape(HttpResponse<String> response) {
            status = response.statusCode();
            contentType = response.headers().firstValue("Content-Type").orElse("");
            lines = List.of(response.body().split("\n"));
            for (String line : lines) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                Matcher m = SAMPLE.matcher(line);
                assertTrue(m.matches(), "not a sample line: " + line);
                Map<String, String> labels = new HashMap<>();
                if (m.group(2) != null) {
                    Matcher l = LABEL.matcher(m.group(2));
                    while (l.find()) {
                        labels.put(l.group(1), l.group(2));
                    }
                }
                samples.add(new Sample(m.group(1), labels, parse(m.group(3))));
            }
        }

        static Scrape get(int port) throws Exception {
            return new Scrape(HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).GET().build(),
                    HttpResponse.BodyHandlers.ofString()));
        }

        static double parse(String v) {
            return switch (v) {
                case "+Inf" -> Double.POSITIVE_INFINITY;
                case "-Inf" -> Double.NEGATIVE_INFINITY;
                case "NaN" -> Double.NaN;
                default -> Double.parseDouble(v);
            };
        }

        /** Samples of that name whose labels include the given ones. */
        List<Sample> find(String name, Map<String, String> labels) {
            return samples.stream().filter(s -> s.name.equals(name)
                    && s.labels.entrySet().containsAll(labels.entrySet())).toList();
        }

        /** The value of the one sample of that name with those labels. */
        double value(String name, Map<String, String> labels) {
            List<Sample> found = find(name, labels);
            assertEquals(1, found.size(), () -> "samples " + name + labels + ": " + found);
            return found.get(0).value;
        }
    }
}
