package dev.prism.bench;

import com.google.common.util.concurrent.ListenableFuture;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.server.PrismServer;
import dev.prism.server.ServerOptions;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.DistributionSummary;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What cross-request batching buys for many small concurrent explanations.
 *
 * <p>Each round sends 16 (--concurrency) one-instance KernelSHAP requests on iris together (4
 * features, so 14 coalitions x 100 background rows each) and waits for all of them. Two servers run side by side
 * in this process, identical except that one packs rows of different requests into one ONNX
 * Runtime call (the default) and the other runs each request's rows alone; their measurements
 * alternate. The mean rows per ONNX Runtime call, from each server's own meters, shows whether
 * the batching really happened.
 */
public final class CrossRequestBatchingBench {
    private static final String USAGE = """
            usage: CrossRequestBatchingBench [--reps N] [--warmup N] [--rounds N] [--concurrency N]
                                             [--delay-micros N] [--background-rows N] [--models DIR]
              --reps         timed on/off pairs (default 7)
              --warmup       untimed on/off pairs first (default 2)
              --rounds       rounds per measurement (default 20)
              --concurrency  requests sent together per round (default 16)
              --delay-micros max_queue_delay of both servers (default: the model's configured value)
              --background-rows  send the first N rows of the model's background inline, so each
                             request has 14 x N model rows (default 0: the model's 100-row background)
              --models       model repository (default models)""";
    private static final String MODEL = "iris";

    public static void main(String[] args) throws Exception {
        BenchSupport.Flags flags = new BenchSupport.Flags(args, USAGE,
                Set.of("reps", "warmup", "rounds", "concurrency", "delay-micros", "background-rows", "models"));
        int reps = flags.integer("reps", 7);
        int warmup = flags.integer("warmup", 2);
        int rounds = flags.integer("rounds", 20);
        int concurrency = flags.integer("concurrency", 16);
        int delay = flags.integer("delay-micros", -1);
        Integer delayMicros = delay < 0 ? null : delay;
        Path models = Path.of(flags.string("models", "models"));
        int backgroundRows = flags.integer("background-rows", 0);

        double[][] background = BenchSupport.readCsv(models.resolve(MODEL).resolve("background.csv"));
        double[][] instances = BenchSupport.mixedInstances(background, concurrency);
        List<ExplainRequest> requests = new ArrayList<>();
        for (double[] x : instances) {
            ExplainRequest request = BenchSupport.kernelShapRequest(MODEL, new double[][] {x}, 0);
            if (backgroundRows > 0) {
                request = request.toBuilder().setBackground(BenchSupport.tensor(
                        java.util.Arrays.copyOf(background, Math.min(backgroundRows, background.length)))).build();
            }
            requests.add(request);
        }

        System.out.printf("cross-request-batching: %s, %d concurrent one-instance requests x %d rounds, "
                + "%s background rows, max_queue_delay %s, %d on/off pairs after %d warm-up, %d cores%n",
                MODEL, concurrency, rounds, backgroundRows > 0 ? String.valueOf(backgroundRows) : "100 (default)",
                delayMicros == null ? "as configured" : delayMicros + " us",
                reps, warmup, Runtime.getRuntime().availableProcessors());

        ServerOptions base = ServerOptions.defaults(models).withPorts(0, -1);
        try (Side on = new Side("on", PrismServer.start(base.withBatching(null, delayMicros, null, true)));
             Side off = new Side("off", PrismServer.start(base.withBatching(null, delayMicros, null, false)))) {
            List<Double> onRate = new ArrayList<>();
            List<Double> offRate = new ArrayList<>();
            for (int i = 0; i < warmup + reps; i++) {
                boolean timed = i >= warmup;
                // Alternate the order so that drift on a noisy machine hits both sides alike.
                double a;
                double b;
                if (i % 2 == 0) {
                    a = on.measure(requests, rounds, timed);
                    b = off.measure(requests, rounds, timed);
                } else {
                    b = off.measure(requests, rounds, timed);
                    a = on.measure(requests, rounds, timed);
                }
                System.out.printf("  %s %d: on %.1f req/s, off %.1f req/s, ratio %.3f%n",
                        timed ? "rep" : "warm-up", timed ? i - warmup + 1 : i + 1, a, b, a / b);
                if (timed) {
                    onRate.add(a);
                    offRate.add(b);
                }
            }
            System.out.printf("batching on   median %.1f requests/s  mean %.0f rows per ONNX Runtime call  %s%n",
                    BenchSupport.median(onRate), on.meanBatchRows(), BenchSupport.list(onRate, "%.1f"));
            System.out.printf("batching off  median %.1f requests/s  mean %.0f rows per ONNX Runtime call  %s%n",
                    BenchSupport.median(offRate), off.meanBatchRows(), BenchSupport.list(offRate, "%.1f"));
            System.out.printf("ratio on/off median %.2f%n", BenchSupport.medianRatio(onRate, offRate));
        }
    }

    /** One server, its client channel and the batch-size meter counted over timed rounds only. */
    private static final class Side implements AutoCloseable {
        final String name;
        final PrismServer server;
        final ManagedChannel channel;
        final ExplainServiceGrpc.ExplainServiceFutureStub stub;
        double batchRows;
        long batches;

        Side(String name, PrismServer server) {
            this.name = name;
            this.server = server;
            this.channel = BenchSupport.channel(server.port());
            this.stub = ExplainServiceGrpc.newFutureStub(channel);
        }

        /** Requests per second over the given rounds; each round sends every request at once. */
        double measure(List<ExplainRequest> requests, int rounds, boolean timed) throws Exception {
            DistributionSummary meter = server.registry().get("prism.scheduler.batch.rows")
                    .tag("model", MODEL).summary();
            double rowsBefore = meter.totalAmount();
            long countBefore = meter.count();
            long start = System.nanoTime();
            for (int r = 0; r < rounds; r++) {
                List<ListenableFuture<ExplainResponse>> calls = new ArrayList<>();
                for (ExplainRequest request : requests) {
                    calls.add(stub.explain(request));
                }
                for (ListenableFuture<ExplainResponse> call : calls) {
                    ExplainResponse response = call.get();
                    // Every feature must vary, or the request would do less work than intended.
                    if (response.getExplanationsCount() == 0 || response.getExplanations(0).getDiagnostics()
                            .getVaryingFeatures() != response.getFeatureNamesCount()) {
                        throw new IllegalStateException(name + ": unexpected response " + response);
                    }
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (timed) {
                batchRows += meter.totalAmount() - rowsBefore;
                batches += meter.count() - countBefore;
            }
            return rounds * requests.size() / seconds;
        }

        double meanBatchRows() {
            return batches == 0 ? Double.NaN : batchRows / batches;
        }

        @Override
        public void close() {
            BenchSupport.close(channel);
            server.close();
        }
    }
}
