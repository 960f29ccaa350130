package dev.prism.http;

import static dev.prism.http.HttpTesting.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.prism.api.v1.ExplainEvent;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.KernelShapParams;
import dev.prism.api.v1.Progress;
import dev.prism.api.v1.Tensor;
import dev.prism.server.PrismServer;
import dev.prism.server.ServerOptions;
import dev.prism.server.security.SecurityOptions;
import io.micrometer.core.instrument.Gauge;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** POST /prism/v1/explain:stream: Server-Sent Events of a long job, and a client that leaves in the middle. */
class HttpEventStreamTest {
    @TempDir
    static Path dir;
    private static PrismServer prism;
    private static HttpTesting.Client http;

    @BeforeAll
    static void start() throws Exception {
        prism = PrismServer.start(ServerOptions.defaults(HttpTesting.repository(dir, "breast_cancer")).withPorts(0, -1),
                SecurityOptions.NONE.withHttp("127.0.0.1", 0));
        http = new HttpTesting.Client(prism.httpPort());
    }

    @AfterAll
    static void stop() {
        prism.close();
    }

    private static ExplainRequest breastCancer(int rows, long nsamples) throws Exception {
        List<String> lines;
        try (Stream<String> all = Files.lines(Path.of("models", "breast_cancer", "background.csv"))) {
            lines = all.skip(1).limit(rows).toList();
        }
        Tensor.Builder t = Tensor.newBuilder().addShape(rows);
        for (String line : lines) {
            Arrays.stream(line.split(",")).mapToDouble(Double::parseDouble).forEach(t::addDoubleData);
        }
        t.addShape(t.getDoubleDataCount() / rows);
        return ExplainRequest.newBuilder().setModel("breast_cancer").addInputs(t)
                .setKernelShap(KernelShapParams.newBuilder().setNsamples(nsamples)).build();
    }

    /** The events of an SSE body: each its name and its one data line. */
    private static List<String[]> events(String body) {
        List<String[]> events = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            String[] lines = block.split("\n");
            assertEquals(2, lines.length, block);
            assertTrue(lines[0].startsWith("event: ") && lines[1].startsWith("data: "), block);
            events.add(new String[] {lines[0].substring(7), lines[1].substring(6)});
        }
        return events;
    }

    @Test
    void progressReachesAHundredPercentThenTheResult() throws Exception {
        ExplainRequest request = breastCancer(2, 40_000);
        HttpResponse<String> r = http.http().send(HttpRequest.newBuilder(URI.create(http.base()
                        + "/prism/v1/explain:stream")).POST(HttpRequest.BodyPublishers.ofString(
                        com.google.protobuf.util.JsonFormat.printer().print(request))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("text/event-stream", r.headers().firstValue("Content-Type").orElseThrow());
        List<String[]> events = events(r.body());
        String[] last = events.get(events.size() - 1);
        assertEquals("result", last[0]);
        ExplainResponse result = parse(last[1], ExplainEvent.newBuilder()).build().getResult();
        assertEquals(4, result.getExplanationsCount(), "2 instances x 2 outputs");
        List<Progress> progress = new ArrayList<>();
        for (String[] e : events.subList(0, events.size() - 1)) {
            assertEquals("progress", e[0]);
            ExplainEvent event = parse(e[1], ExplainEvent.newBuilder()).build();
            assertTrue(event.hasProgress(), e[1]);
            progress.add(event.getProgress());
        }
        assertTrue(progress.size() >= 3, "several progress events: " + progress.size());
        Progress end = progress.get(progress.size() - 1);
        assertTrue(end.getEvaluationsTotal() > 0);
        assertEquals(end.getEvaluationsTotal(), end.getEvaluationsDone(), "the last progress event is at 100%");
        assertTrue(progress.stream().anyMatch(p -> p.getEstimatesCount() > 0), "kernel_shap streams its estimates");
    }

    @Test
    void aFailureAfterTheFirstEventIsAnErrorEvent() throws Exception {
        HttpResponse<String> r = http.post("/prism/v1/explain:stream", breastCancer(4, 200_000),
                Exchange.TIMEOUT_HEADER, "1");
        assertEquals(200, r.statusCode(), r.body());
        List<String[]> events = events(r.body());
        assertEquals("progress", events.get(0)[0]);
        String[] last = events.get(events.size() - 1);
        assertEquals("error", last[0]);
        com.google.rpc.Status status = HttpTesting.status(last[1]);
        assertEquals(io.grpc.Status.Code.DEADLINE_EXCEEDED.value(), status.getCode(), last[1]);
    }

    @Test
    void aRefusedStreamIsAnHttpError() throws Exception {
        HttpResponse<String> r = http.post("/prism/v1/explain:stream", breastCancer(1, 1).toBuilder().setModel("nope")
                .build());
        assertEquals(404, r.statusCode());
        assertEquals("MODEL_NOT_FOUND", HttpTesting.reason(HttpTesting.status(r.body())));
    }

    @Test
    void aClientThatLeavesMidStreamCancelsTheWork() throws Exception {
        double before = prism.registry().find("prism.requests.cancelled").tag("reason", "CANCELLED").counter().count();
        byte[] body = com.google.protobuf.util.JsonFormat.printer().omittingInsignificantWhitespace()
                .print(breastCancer(4, 200_000)).getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket("127.0.0.1", prism.httpPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /prism/v1/explain:stream HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !line.equals("event: progress")) {
                // headers and the chunk sizes before the first event
            }
            assertEquals("event: progress", line);
            assertTrue(gauge("prism.explain.running") > 0, "the job runs");
        }
        eventually(() -> prism.registry().find("prism.requests.cancelled").tag("reason", "CANCELLED").counter()
                .count() == before + 1);
        eventually(() -> gauge("prism.explain.running") == 0);
        eventually(() -> prism.registry().find("prism.scheduler.jobs").gauges().stream()
                .allMatch(g -> g.value() == 0));
        eventually(() -> gauge("prism.memory.reserved") == 0);
    }

    private static double gauge(String name) {
        Gauge g = prism.registry().find(name).gauge();
        return g == null ? Double.NaN : g.value();
    }

    private static void eventually(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("the server's work was not freed within 10 s");
            }
            Thread.sleep(10);
        }
    }
}
