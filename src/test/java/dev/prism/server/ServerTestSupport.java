package dev.prism.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.prism.api.v1.ExplainEvent;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.ModelServiceGrpc;
import dev.prism.api.v1.Tensor;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

/** Shared fixtures of the gRPC-level tests: a temporary model repository, in-process servers and status details. */
final class ServerTestSupport {
    /** Bundled models, relative to the project root (Maven runs tests there). */
    static final Path BUNDLED = Path.of("models");

    private ServerTestSupport() {}

    /**
     * Copies the named models into {@code dir}: bundled ones (iris, breast_cancer, diabetes) from
     * {@code models/}, test ones (linear, broken, pairwise) from the test resources.
     */
    static Path repository(Path dir, String... names) {
        try {
            Path repo = Files.createDirectories(dir.resolve("repo"));
            for (String name : names) {
                Path source = BUNDLED.resolve(name);
                if (!Files.isDirectory(source)) {
                    source = testModel(name);
                }
                Path target = Files.createDirectories(repo.resolve(name));
                try (Stream<Path> files = Files.list(source)) {
                    for (Path f : files.toList()) {
                        // weights.json is the test's ground truth, not part of the served model.
                        if (!f.getFileName().toString().equals("weights.json")) {
                            Files.copy(f, target.resolve(f.getFileName()));
                        }
                    }
                }
            }
            return repo;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The folder of a test model under src/test/resources/models. */
    static Path testModel(String name) {
        URL url = ServerTestSupport.class.getResource("/models/" + name + "/model.onnx");
        assertNotNull(url, "test model " + name + " is not on the test classpath");
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads a test resource as a string. */
    static String resource(String path) {
        try (InputStream in = ServerTestSupport.class.getResourceAsStream(path)) {
            assertNotNull(in, path);
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An in-process Prism server and a channel to it. */
    static final class InProcess implements AutoCloseable {
        final PrismServer server;
        final ManagedChannel channel;

        InProcess(ServerOptions options) throws IOException {
            String name = "prism-test-" + java.util.UUID.randomUUID();
            server = PrismServer.start(options, InProcessServerBuilder.forName(name));
            channel = InProcessChannelBuilder.forName(name).build();
        }

        ExplainServiceGrpc.ExplainServiceBlockingStub explain() {
            return ExplainServiceGrpc.newBlockingStub(channel);
        }

        ExplainServiceGrpc.ExplainServiceStub explainAsync() {
            return ExplainServiceGrpc.newStub(channel);
        }

        ModelServiceGrpc.ModelServiceBlockingStub models() {
            return ModelServiceGrpc.newBlockingStub(channel);
        }

        MeterRegistry registry() {
            return server.registry();
        }

        @Override
        public void close() throws InterruptedException {
            channel.shutdownNow();
            channel.awaitTermination(10, TimeUnit.SECONDS);
            server.close();
        }
    }

    static ServerOptions inProcessOptions(Path repo) {
        return ServerOptions.defaults(repo).withPorts(0, -1);
    }

    /** The options with another per-request evaluation budget. */
    static ServerOptions withMaxEvaluations(ServerOptions o, long maxEvaluations) {
        return o.withLimits(o.limits().withMaxEvaluations(maxEvaluations));
    }

    /** The options with another shutdown grace period. */
    static ServerOptions withShutdownGrace(ServerOptions o, Duration grace) {
        return new ServerOptions(o.port(), o.metricsPort(), o.modelRepository(), o.device(), o.explainThreads(),
                o.explainQueue(), o.limits(), grace, o.intraOpThreads(), o.maxBatchRows(),
                o.maxQueueDelayMicros(), o.maxQueueRows(), o.crossRequestBatching(), o.explainQueueWait(),
                o.admission(), o.treeShap(), o.maxReferenceRows(), o.evaluateSampleRate());
    }

    /** The first {@code n} rows of a bundled model's background.csv (header skipped), flattened. */
    static double[] backgroundRows(String model, int n) {
        try {
            List<String> lines = Files.readAllLines(BUNDLED.resolve(model).resolve("background.csv"));
            return lines.stream().skip(1).limit(n)
                    .flatMapToDouble(l -> java.util.Arrays.stream(l.split(",")).mapToDouble(Double::parseDouble))
                    .toArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A StreamExplain call seen from the client: its events, its end, and a handle to cancel it. */
    static final class StreamCall implements ClientResponseObserver<ExplainRequest, ExplainEvent> {
        final BlockingQueue<ExplainEvent> events = new LinkedBlockingQueue<>();
        final CompletableFuture<Status> done = new CompletableFuture<>();
        volatile Throwable error;
        private volatile ClientCallStreamObserver<ExplainRequest> call;

        static StreamCall start(ExplainServiceGrpc.ExplainServiceStub stub, ExplainRequest request) {
            StreamCall c = new StreamCall();
            stub.streamExplain(request, c);
            return c;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<ExplainRequest> requestStream) {
            call = requestStream;
        }

        @Override
        public void onNext(ExplainEvent event) {
            events.add(event);
        }

        @Override
        public void onError(Throwable t) {
            error = t;
            done.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            done.complete(Status.OK);
        }

        /** The next event, failing the test when none comes in time. */
        ExplainEvent next(Duration timeout) throws InterruptedException {
            ExplainEvent e = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (e == null) {
                fail("no event within " + timeout + "; call ended with " + done.getNow(null));
            }
            return e;
        }

        void cancel() {
            call.cancel("the test cancels", null);
        }

        Status awaitEnd(Duration timeout) throws Exception {
            return done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    // ---- tensors ----

    /** A FLOAT32 tensor [rows, values.length / rows] in float_data. */
    static Tensor floats(int rows, double... values) {
        Tensor.Builder t = Tensor.newBuilder().addShape(rows).addShape(values.length / rows);
        for (double v : values) {
            t.addFloatData((float) v);
        }
        return t.build();
    }

    /** A tensor with an explicit shape and values in double_data. */
    static Tensor doubles(long[] shape, double... values) {
        Tensor.Builder t = Tensor.newBuilder();
        for (long d : shape) {
            t.addShape(d);
        }
        for (double v : values) {
            t.addDoubleData(v);
        }
        return t.build();
    }

    // ---- status details ----

    static <T extends com.google.protobuf.Message> Optional<T> detail(StatusRuntimeException e, Class<T> type) {
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        if (status == null) {
            return Optional.empty();
        }
        for (Any any : status.getDetailsList()) {
            if (any.is(type)) {
                try {
                    return Optional.of(any.unpack(type));
                } catch (InvalidProtocolBufferException ex) {
                    throw new AssertionError(ex);
                }
            }
        }
        return Optional.empty();
    }

    static ErrorInfo errorInfo(StatusRuntimeException e) {
        return detail(e, ErrorInfo.class).orElseThrow(() -> new AssertionError("no ErrorInfo in " + e.getStatus()));
    }

    /** Asserts the code and the ErrorInfo (reason, domain prism.dev); returns the exception for more checks. */
    static StatusRuntimeException assertStatus(StatusRuntimeException e, Status.Code code, String reason) {
        assertEquals(code, e.getStatus().getCode(), () -> "status " + e.getStatus());
        ErrorInfo info = errorInfo(e);
        assertEquals(reason, info.getReason(), () -> "status " + e.getStatus());
        assertEquals("prism.dev", info.getDomain());
        return e;
    }

    /** Asserts that the BadRequest detail has a violation of exactly this field; returns its description. */
    static String assertViolation(StatusRuntimeException e, String field) {
        BadRequest bad = detail(e, BadRequest.class)
                .orElseThrow(() -> new AssertionError("no BadRequest in " + e.getStatus()));
        List<String> fields = bad.getFieldViolationsList().stream().map(BadRequest.FieldViolation::getField).toList();
        assertTrue(fields.contains(field), () -> "violations " + fields + " lack " + field);
        return bad.getFieldViolationsList().stream().filter(v -> v.getField().equals(field)).findFirst()
                .orElseThrow().getDescription();
    }

    static RetryInfo retryInfo(StatusRuntimeException e) {
        return detail(e, RetryInfo.class).orElseThrow(() -> new AssertionError("no RetryInfo in " + e.getStatus()));
    }

    /** Runs the call and returns the StatusRuntimeException it must fail with. */
    static StatusRuntimeException failure(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return e;
        }
        return fail("the call succeeded");
    }

    // ---- changes to a repository ----

    /** The linear test model with its bias initializer set to b. */
    static byte[] linearWithBias(double b) throws IOException {
        ModelProto model = ModelProto.parseFrom(Files.readAllBytes(ServerTestSupport.testModel("linear")
                .resolve("model.onnx")));
        GraphProto.Builder graph = model.getGraph().toBuilder();
        for (int i = 0; i < graph.getInitializerCount(); i++) {
            TensorProto t = graph.getInitializer(i);
            if (t.getName().equals("b")) {
                graph.setInitializer(i, t.toBuilder().clearRawData().clearFloatData().addFloatData((float) b));
            }
        }
        return model.toBuilder().setGraph(graph).build().toByteArray();
    }

    /** Writes beside the target and renames, as a deployment should, so no reader sees half a file. */
    static void writeAtomically(Path target, byte[] content) throws IOException {
        Path tmp = target.resolveSibling(".incoming-" + target.getFileName());
        Files.write(tmp, content);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static void copyFolder(Path source, Path target) throws IOException {
        Path staging = target.resolveSibling(".incoming-" + target.getFileName());
        Files.createDirectories(staging);
        try (Stream<Path> files = Files.list(source)) {
            for (Path f : files.toList()) {
                Files.copy(f, staging.resolve(f.getFileName()));
            }
        }
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
    }

    // ---- meters and polling ----

    /** The counts of the counters with these tags, added up (other tags may tell them apart); 0 when none is registered. */
    static double counter(MeterRegistry registry, String name, String... tags) {
        return registry.find(name).tags(tags).counters().stream().mapToDouble(Counter::count).sum();
    }

    /** prism.explanations of a model by status, every method added up. */
    static java.util.Map<String, Double> statuses(MeterRegistry registry, String model) {
        java.util.Map<String, Double> byStatus = new java.util.TreeMap<>();
        registry.find("prism.explanations").tag("model", model).counters()
                .forEach(c -> byStatus.merge(c.getId().getTag("status"), c.count(), Double::sum));
        return byStatus;
    }

    /** prism.explanations of a model by method and status ("kernel_shap OK"), as registered. */
    static java.util.Map<String, Double> explanations(MeterRegistry registry, String model) {
        java.util.Map<String, Double> byMethod = new java.util.TreeMap<>();
        registry.find("prism.explanations").tag("model", model).counters().forEach(c -> byMethod.put(
                c.getId().getTag("method") + " " + c.getId().getTag("status"), c.count()));
        return byMethod;
    }

    /**
     * A Prometheus histogram registered on the registry's Prometheus side (not through Micrometer),
     * for one model and method: bucket upper bound → values at or below it, cumulative as Prometheus
     * exposes them, with +Inf holding the count; empty when the series has no value yet.
     */
    static java.util.SortedMap<Double, Long> histogram(MeterRegistry registry, String name, String model,
                                                       String method) {
        java.util.SortedMap<Double, Long> out = new java.util.TreeMap<>();
        var prometheus = ((io.micrometer.prometheusmetrics.PrometheusMeterRegistry) registry).getPrometheusRegistry();
        for (var snapshot : prometheus.scrape(name::equals)) {
            for (var point : ((io.prometheus.metrics.model.snapshots.HistogramSnapshot) snapshot).getDataPoints()) {
                if (model.equals(point.getLabels().get("model")) && method.equals(point.getLabels().get("method"))) {
                    long cumulative = 0;
                    for (var bucket : point.getClassicBuckets()) {
                        cumulative += bucket.getCount();
                        out.put(bucket.getUpperBound(), cumulative);
                    }
                }
            }
        }
        return out;
    }

    /** The histogram's count of values for the model and method (0 without a series). */
    static long histogramCount(MeterRegistry registry, String name, String model, String method) {
        java.util.SortedMap<Double, Long> buckets = histogram(registry, name, model, method);
        return buckets.isEmpty() ? 0 : buckets.get(Double.POSITIVE_INFINITY);
    }

    static double gauge(MeterRegistry registry, String name, String... tags) {
        Gauge g = registry.find(name).tags(tags).gauge();
        assertNotNull(g, "no gauge " + name + " " + List.of(tags));
        return g.value();
    }

    /** Waits until the explain pool has this many requests waiting for a thread (they get no progress). */
    static void awaitQueued(MeterRegistry registry, int waiting) throws InterruptedException {
        eventually(Duration.ofSeconds(30), () -> waiting + " requests waiting for an explain thread, not "
                + gauge(registry, "prism.explain.queued"), () -> gauge(registry, "prism.explain.queued") == waiting);
    }

    /** Polls until the condition holds, failing after the timeout. */
    static void eventually(Duration timeout, Supplier<String> what, BooleanSupplier condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout + " waiting for " + what.get());
            }
            Thread.sleep(10);
        }
    }
}
