package dev.prism.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.Explanation;
import dev.prism.api.v1.KernelShapParams;
import dev.prism.explain.shap.LeverageDesign;
import dev.prism.linalg.Cancellation;
import dev.prism.server.PrismServer;
import dev.prism.server.ServerOptions;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.Timer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * How close one large KernelSHAP request through Prism comes to ONNX Runtime's own throughput.
 *
 * <p>A: one Explain call over gRPC (breast_cancer, 32 instances, nsamples 2048, the model's
 * 100-row background), timed at the client, for each estimator asked for. B: the same number of
 * model rows pushed straight through one ONNX Runtime session in batches of max_batch_rows.
 * KernelSHAP's cost is almost all model rows, so A/B is Prism's overhead: masking, scheduling,
 * copying, the regressions and gRPC. The process's CPU time is measured around each too (server
 * and client share this JVM): (CPU of A − CPU of B) / CPU of B is everything Prism spends beside
 * the model, the estimator's own work included, as a share of the model's cost. On a machine
 * with few cores that share is noisy (the model's threads and the solves compete), so the CPU time
 * of the server's solver threads is reported apart: the estimator's final solves and its regression
 * adjustment, as a share of the model's CPU. The Leverage designs (herded for the default) are
 * built on the request's thread, between the model calls in flight; the bench builds the same
 * designs in its own thread and adds their CPU to the solves' as the estimator's own cost.
 */
public final class KernelShapThroughputBench {
    private static final String USAGE = """
            usage: KernelShapThroughputBench [--reps N] [--warmup N] [--instances N] [--nsamples N]
                                             [--batch-rows N] [--models DIR] [--estimators LIST]
              --reps        timed A/B pairs (default 7)
              --warmup      untimed A/B pairs first (default 1)
              --instances   instances per Explain call (default 32)
              --nsamples    kernel_shap.nsamples (default 2048)
              --batch-rows  rows per raw ONNX Runtime call (default 8192, the server's max_batch_rows)
              --models      model repository (default models)
              --estimators  comma-separated kernel_shap estimators (default adjusted,kernel,leverage)""";
    private static final String MODEL = "breast_cancer";
    private static final double TARGET = 1.15;
    /** Prism's CPU beside the model's, as a share of the model's. */
    private static final double CPU_TARGET = 0.20;
    /** The name of the threads the server runs the final solves on. */
    private static final String SOLVER_THREAD = "prism-solver";

    public static void main(String[] args) throws Exception {
        BenchSupport.Flags flags = new BenchSupport.Flags(args, USAGE,
                Set.of("reps", "warmup", "instances", "nsamples", "batch-rows", "models", "estimators"));
        int reps = flags.integer("reps", 7);
        int warmup = flags.integer("warmup", 1);
        int instanceCount = flags.integer("instances", 32);
        int nsamples = flags.integer("nsamples", 2048);
        int batchRows = flags.integer("batch-rows", 8192);
        Path models = Path.of(flags.string("models", "models"));

        double[][] background = BenchSupport.readCsv(models.resolve(MODEL).resolve("background.csv"));
        double[][] instances = BenchSupport.mixedInstances(background, instanceCount);
        List<KernelShapParams.Estimator> estimators = new ArrayList<>();
        for (String name : flags.string("estimators", "adjusted,kernel,leverage").split(",")) {
            estimators.add(KernelShapParams.Estimator.valueOf("ESTIMATOR_" + name.trim().toUpperCase(Locale.ROOT)));
        }
        // Per instance: nsamples coalitions x background rows, plus f(x); plus the background once for E f.
        long expectedRows = (long) instanceCount * ((long) nsamples * background.length + 1) + background.length;

        System.out.printf("kernel-shap-throughput: %s, %d instances x nsamples %d x %d background rows, "
                + "%d A/B pairs after %d warm-up per estimator, %d cores%n", MODEL, instanceCount, nsamples,
                background.length, reps, warmup, Runtime.getRuntime().availableProcessors());

        try (PrismServer server = PrismServer.start(ServerOptions.defaults(models).withPorts(0, -1));
             RawOrt raw = new RawOrt(models.resolve(MODEL).resolve("model.onnx"), batchRows)) {
            ManagedChannel channel = BenchSupport.channel(server.port());
            try {
                ExplainServiceGrpc.ExplainServiceBlockingStub stub = ExplainServiceGrpc.newBlockingStub(channel);
                List<String> summary = new ArrayList<>();
                for (KernelShapParams.Estimator estimator : estimators) {
                    ExplainRequest request = BenchSupport.kernelShapRequest(MODEL, instances, nsamples).toBuilder()
                            .setKernelShap(KernelShapParams.newBuilder().setNsamples(nsamples).setEstimator(estimator))
                            .build();
                    // Every feature varies between the instances and the background: the designs' players.
                    summary.add(run(server, stub, raw, request, estimator, instanceCount, background.length,
                            background[0].length, expectedRows, warmup, reps));
                }
                System.out.println();
                System.out.printf("%-20s %12s %12s %10s %14s %9s %9s %8s%n", "estimator", "prism s", "raw-ort s",
                        "wall A/B", "CPU beside ORT", "solves/ORT", "own/ORT", "quietest");
                summary.forEach(System.out::println);
            } finally {
                BenchSupport.close(channel);
            }
        }
    }

    /** The A/B pairs of one estimator; returns its summary line. */
    private static String run(PrismServer server, ExplainServiceGrpc.ExplainServiceBlockingStub stub, RawOrt raw,
                              ExplainRequest request, KernelShapParams.Estimator estimator, int instanceCount,
                              int backgroundRows, int features, long expectedRows, int warmup, int reps)
            throws OrtException {
        String name = estimator.name().substring("ESTIMATOR_".length()).toLowerCase(Locale.ROOT);
        System.out.printf("%nestimator %s%n", name);
        // The first call also warms up; its diagnostics say how many rows B must evaluate.
        long rows = countRows(stub.explain(request), instanceCount, backgroundRows);
        if (rows != expectedRows) {
            System.out.printf("note: the diagnostics count %d rows, the formula %d; B uses the diagnostics%n",
                    rows, expectedRows);
        }
        // The server's meters show how a request was cut into ONNX Runtime calls and how much of
        // its time the scheduler spent inside Model.run (input and output conversion included).
        Timer modelRun = server.registry().get("prism.model.run").tag("model", MODEL).timer();

        List<Double> prism = new ArrayList<>();
        List<Double> ort = new ArrayList<>();
        List<Double> beside = new ArrayList<>();
        List<Double> solves = new ArrayList<>();
        List<Double> solveSeconds = new ArrayList<>();
        List<Double> ortCpu = new ArrayList<>();
        List<Double> inModelRun = new ArrayList<>();
        long callsPerRequest = 0;
        for (int i = 0; i < warmup + reps; i++) {
            double runBefore = modelRun.totalTime(TimeUnit.SECONDS);
            long callsBefore = modelRun.count();
            // Alternate which side goes first so that slow drift of a noisy machine hits both.
            double[] a;
            double[] b;
            if (i % 2 == 0) {
                a = timeExplain(stub, request);
                b = timeRaw(raw, rows);
            } else {
                b = timeRaw(raw, rows);
                a = timeExplain(stub, request);
            }
            boolean timed = i >= warmup;
            double cpuShare = (a[1] - b[1]) / b[1];
            System.out.printf("  %s %d: prism %.3f s (CPU %.3f s, solves %.3f s), raw-ort %.3f s (CPU %.3f s), "
                    + "ratio %.3f%n", timed ? "rep" : "warm-up", timed ? i - warmup + 1 : i + 1, a[0], a[1], a[2],
                    b[0], b[1], a[0] / b[0]);
            if (timed) {
                prism.add(a[0]);
                ort.add(b[0]);
                beside.add(cpuShare);
                solves.add(a[2] / b[1]);
                solveSeconds.add(a[2]);
                ortCpu.add(b[1]);
                inModelRun.add(modelRun.totalTime(TimeUnit.SECONDS) - runBefore);
                callsPerRequest = modelRun.count() - callsBefore;
            }
        }

        double ma = BenchSupport.median(prism);
        double mb = BenchSupport.median(ort);
        double ratio = BenchSupport.medianRatio(prism, ort);
        System.out.printf("rows per run              %d%n", rows);
        // The minimum is shown too: on a shared machine it is the run least disturbed by other load.
        System.out.printf("prism explain    median %.3f s  %,.0f rows/s  (min %.3f s)  %s%n", ma, rows / ma,
                BenchSupport.min(prism), BenchSupport.list(prism, "%.3f"));
        System.out.printf("raw onnxruntime  median %.3f s  %,.0f rows/s  (min %.3f s)  %s%n", mb, rows / mb,
                BenchSupport.min(ort), BenchSupport.list(ort, "%.3f"));
        System.out.printf("prism scheduler: %d ONNX Runtime calls per request (%.0f rows each), "
                + "median %.3f s inside Model.run%n", callsPerRequest, (double) rows / callsPerRequest,
                BenchSupport.median(inModelRun));
        System.out.printf("ratio prism/raw-ort median %.2f (target <= %.2f)%s%n", ratio, TARGET,
                ratio <= TARGET ? "" : "  ABOVE TARGET");
        System.out.printf("CPU beside the model: median %.0f%% of raw ONNX Runtime's CPU (target <= %.0f%%)%s%n",
                100 * BenchSupport.median(beside), 100 * CPU_TARGET,
                BenchSupport.median(beside) <= CPU_TARGET ? "" : "  ABOVE TARGET");
        System.out.printf("final solves' CPU (solver threads): median %.3f s, %.1f%% of raw ONNX Runtime's CPU "
                + "(median of the pairs)%n", BenchSupport.median(solveSeconds), 100 * BenchSupport.median(solves));
        double designs = designSeconds(estimator, instanceCount, features, request.getKernelShap().getNsamples(),
                reps);
        if (Double.isNaN(designs)) {
            System.out.println("designs' CPU: not measured for this estimator (its design is internal)");
            return String.format("%-20s %12.3f %12.3f %10.2f %13.0f%% %8.1f%% %9s %8s", name, ma, mb, ratio,
                    100 * BenchSupport.median(beside), 100 * BenchSupport.median(solves), "-", "-");
        }
        List<Double> own = new ArrayList<>();
        for (int i = 0; i < solveSeconds.size(); i++) {
            own.add((designs + solveSeconds.get(i)) / ortCpu.get(i));
        }
        // The model's CPU for the same rows swings by up to 2x between runs on a shared machine;
        // against its quietest run, the estimator's share is the least flattering.
        double quiet = (designs + BenchSupport.median(solveSeconds)) / BenchSupport.min(ortCpu);
        System.out.printf("designs' CPU (the same %d designs, built in the bench's thread): median %.3f s%n",
                instanceCount, designs);
        System.out.printf("estimator's own CPU (designs + final solves): %.1f%% of raw ONNX Runtime's CPU "
                + "(median of the pairs), %.1f%% of its quietest run (target <= %.0f%%)%s%n",
                100 * BenchSupport.median(own), 100 * quiet, 100 * CPU_TARGET,
                quiet <= CPU_TARGET ? "" : "  ABOVE TARGET");
        return String.format("%-20s %12.3f %12.3f %10.2f %13.0f%% %8.1f%% %8.1f%% %7.1f%%", name, ma, mb, ratio,
                100 * BenchSupport.median(beside), 100 * BenchSupport.median(solves), 100 * BenchSupport.median(own),
                100 * quiet);
    }

    /**
     * Median CPU seconds over {@code reps} rounds of building the Leverage designs of the request's
     * instances as the server does (the same players, budget and per-instance seeds, the request's
     * seed being 0), after one untimed round; NaN for ESTIMATOR_KERNEL, whose design is internal.
     */
    private static double designSeconds(KernelShapParams.Estimator estimator, int instanceCount, int features,
                                        long nsamples, int reps) {
        if (estimator == KernelShapParams.Estimator.ESTIMATOR_KERNEL) {
            return Double.NaN;
        }
        boolean herded = estimator == KernelShapParams.Estimator.ESTIMATOR_ADJUSTED;
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        List<Double> seconds = new ArrayList<>();
        long masks = 0;
        for (int r = 0; r <= reps; r++) {
            long start = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < instanceCount; i++) {
                masks += LeverageDesign.build(features, nsamples, new SplittableRandom(i), Cancellation.NEVER, herded)
                        .size();
            }
            if (r > 0) {
                seconds.add((threads.getCurrentThreadCpuTime() - start) / 1e9);
            }
        }
        if (masks == 0) {
            throw new IllegalStateException("empty designs");
        }
        return BenchSupport.median(seconds);
    }

    /** Wall seconds and the process's CPU seconds of one B run. */
    private static double[] timeRaw(RawOrt raw, long rows) throws OrtException {
        long cpu = processCpuNanos();
        double wall = raw.time(rows);
        return new double[] {wall, (processCpuNanos() - cpu) / 1e9};
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /**
     * CPU of the server's solver threads so far: the instances' final solves, the estimator's
     * regression adjustment included, which run there beside the request's thread.
     */
    private static long solverCpuNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().equals(SOLVER_THREAD)) {
                total += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
            }
        }
        return total;
    }

    /** Wall seconds, the process's CPU seconds and the solver threads' CPU seconds of one A call. */
    private static double[] timeExplain(ExplainServiceGrpc.ExplainServiceBlockingStub stub, ExplainRequest request) {
        long solver = solverCpuNanos();
        long cpu = processCpuNanos();
        long start = System.nanoTime();
        ExplainResponse response = stub.explain(request);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (response.getExplanationsCount() == 0) {
            throw new IllegalStateException("empty response");
        }
        return new double[] {seconds, (processCpuNanos() - cpu) / 1e9, (solverCpuNanos() - solver) / 1e9};
    }

    /** Model rows the request evaluated: the first output's diagnostics of each instance, plus the background. */
    private static long countRows(ExplainResponse response, int instances, int backgroundRows) {
        long rows = backgroundRows;
        boolean[] seen = new boolean[instances];
        for (Explanation e : response.getExplanationsList()) {
            if (!seen[e.getInstance()]) {
                seen[e.getInstance()] = true;
                rows += e.getDiagnostics().getModelEvaluations();
                // A feature equal to the whole background would shrink the work; the instances must avoid it.
                if (e.getDiagnostics().getVaryingFeatures() != response.getFeatureNamesCount()) {
                    throw new IllegalStateException("instance " + e.getInstance() + " varies in only "
                            + e.getDiagnostics().getVaryingFeatures() + " features");
                }
            }
        }
        return rows;
    }

    /**
     * The baseline: one ONNX Runtime session with default options, used as a hand-written batch loop
     * would: one reused direct buffer of float inputs, only the score output fetched.
     */
    private static final class RawOrt implements AutoCloseable {
        private final OrtEnvironment env = OrtEnvironment.getEnvironment();
        private final OrtSession session;
        private final String inputName;
        private final Set<String> outputs = Set.of("probabilities");
        private final int batchRows;
        private final int width;
        private final FloatBuffer input;

        RawOrt(Path modelFile, int batchRows) throws OrtException {
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                this.session = env.createSession(modelFile.toString(), options);
            }
            this.inputName = session.getInputNames().iterator().next();
            long[] shape = ((TensorInfo) session.getInputInfo().get(inputName).getInfo()).getShape();
            this.width = (int) shape[shape.length - 1];
            this.batchRows = batchRows;
            this.input = ByteBuffer.allocateDirect(batchRows * width * Float.BYTES)
                    .order(ByteOrder.nativeOrder()).asFloatBuffer();
            // Any values will do: a dense network costs the same whatever its inputs.
            SplittableRandom random = new SplittableRandom(42);
            while (input.hasRemaining()) {
                input.put((float) (random.nextDouble() * 100));
            }
        }

        /** Seconds to evaluate the given number of rows in batches of batchRows. */
        double time(long rows) throws OrtException {
            long start = System.nanoTime();
            for (long done = 0; done < rows; ) {
                int n = (int) Math.min(batchRows, rows - done);
                FloatBuffer slice = input.duplicate().position(0).limit(n * width);
                try (OnnxTensor tensor = OnnxTensor.createTensor(env, slice, new long[] {n, width});
                     OrtSession.Result result = session.run(Map.of(inputName, tensor), outputs)) {
                    long[] shape = ((OnnxTensor) result.get(0)).getInfo().getShape();
                    if (shape[0] != n) {
                        throw new IllegalStateException("expected " + n + " output rows, got " + shape[0]);
                    }
                }
                done += n;
            }
            return (System.nanoTime() - start) / 1e9;
        }

        @Override
        public void close() throws OrtException {
            session.close();
        }
    }
}
