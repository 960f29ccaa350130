package dev.prism.cli;

import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import dev.prism.api.v1.ExplainEvent;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.ExplainServiceGrpc;
import dev.prism.api.v1.Explanation;
import dev.prism.api.v1.GetModelRequest;
import dev.prism.api.v1.GradientTarget;
import dev.prism.api.v1.Link;
import dev.prism.api.v1.ModelInfo;
import dev.prism.api.v1.ModelServiceGrpc;
import dev.prism.api.v1.Progress;
import dev.prism.api.v1.Tensor;
import dev.prism.api.v1.TensorSpec;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** A small gRPC client: streams one explanation with a progress bar, then prints sorted attributions. */
@Command(name = "explain", mixinStandardHelpOptions = true, versionProvider = PrismVersion.class,
        description = "Asks a running Prism server to explain instances: exit 0 when it answered, 1 when it"
                + " refused, 2 when it cannot be reached or the command line is wrong.")
final class ExplainCommand implements Callable<Integer> {
    /** The method names the server's method table declares, for --method's help. */
    static final class MethodNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return dev.prism.server.MethodTable.names().iterator();
        }
    }

    private static final int BAR = 28;

    @Option(names = "--target", defaultValue = "localhost:50051", description = "Server address, several of them"
            + " (host:port,host:port), or a name resolving to several replicas (dns:///host:port); calls are spread"
            + " round robin (default ${DEFAULT-VALUE}).")
    String target;

    @Option(names = "--model", required = true, description = "Model name.")
    String model;

    @Option(names = "--instance", converter = Values.class,
            description = "Feature values, comma-separated; repeat for several instances.")
    List<double[]> instances;

    @Option(names = "--instances-csv", description = "A CSV file of instances instead of --instance, one a line (an"
            + " optional first line of names); the attributions go to standard output as CSV.")
    Path instancesCsv;

    @Option(names = "--chunk-rows", defaultValue = "256", description = "Most instances in one request: a larger job"
            + " is split into requests spread over the servers behind --target (default ${DEFAULT-VALUE}).")
    int chunkRows;

    @Option(names = "--concurrency", defaultValue = "4",
            description = "Requests of a split job in flight at once (default ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--method", defaultValue = "auto",
            description = "One of ${COMPLETION-CANDIDATES}; default ${DEFAULT-VALUE}.",
            completionCandidates = MethodNames.class)
    String method;

    @Option(names = "--nsamples", defaultValue = "0",
            description = "Budget: KernelSHAP coalitions, permutation max_evals or LIME samples; 0 = the method's default.")
    long nsamples;

    @Option(names = "--gradient-target", defaultValue = "output",
            description = "Gradient methods: attribute the score output (default) or the logits before its Softmax.")
    String gradientTarget;

    @Option(names = "--n-steps", defaultValue = "0",
            description = "Integrated Gradients: points on the path; 0 = the default (50).")
    int nSteps;

    @Option(names = "--outputs", split = ",", description = "Outputs to explain, by name (default: all).")
    List<String> outputs;

    @Option(names = "--link", defaultValue = "identity", description = "identity (default) or logit.")
    String link;

    @Option(names = "--seed", defaultValue = "0", description = "Random seed (default 0).")
    long seed;

    @Mixin
    ClientConnection connection;

    @Option(names = "--deadline-seconds", defaultValue = "600",
            description = "Seconds for connecting and the explanation together (default ${DEFAULT-VALUE}).")
    long deadlineSeconds;

    /** One --instance: numbers separated by commas. */
    static final class Values implements CommandLine.ITypeConverter<double[]> {
        @Override
        public double[] convert(String value) {
            String[] parts = value.split(",", -1);
            double[] values = new double[parts.length];
            for (int i = 0; i < parts.length; i++) {
                try {
                    values[i] = Double.parseDouble(parts[i].strip());
                } catch (NumberFormatException e) {
                    throw new CommandLine.TypeConversionException("'" + value + "' is not a list of numbers separated"
                            + " by commas ('" + parts[i] + "' is not a number)");
                }
            }
            return values;
        }
    }

    @Override
    public Integer call() throws Exception {
        if ((instances == null) == (instancesCsv == null)) {
            System.err.println("prism explain: give the instances with --instance or --instances-csv (one of them)");
            return 2;
        }
        if (chunkRows < 1 || concurrency < 1) {
            System.err.println("prism explain: --chunk-rows and --concurrency must be at least 1");
            return 2;
        }
        if (instancesCsv != null) {
            try {
                instances = InstancesCsv.read(instancesCsv);
            } catch (IOException | IllegalArgumentException e) {
                System.err.println("prism explain: cannot read " + instancesCsv + ": " + e.getMessage());
                return 2;
            }
        }
        int width = instances.get(0).length;
        for (double[] values : instances) {
            if (values.length != width) {
                System.err.println("prism explain: every --instance needs as many values as the first (" + width
                        + "), not " + values.length);
                return 2;
            }
        }
        ExplainRequest.Builder request = ExplainRequest.newBuilder().setModel(model);
        GradientTarget score = switch (gradientTarget) {
            case "output" -> GradientTarget.GRADIENT_TARGET_OUTPUT;
            case "logits" -> GradientTarget.GRADIENT_TARGET_LOGITS;
            default -> null;
        };
        if (score == null) {
            System.err.println("prism explain: unknown gradient target '" + gradientTarget + "'; use output or logits");
            return 2;
        }
        try {
            MethodChoice.apply(request, method, nsamples, nSteps, score);
        } catch (IllegalArgumentException e) {
            System.err.println("prism explain: " + e.getMessage());
            return 2;
        }
        request.setSeed(seed)
                .setLink(link.equalsIgnoreCase("logit") ? Link.LINK_LOGIT : Link.LINK_IDENTITY);
        if (outputs != null) {
            request.addAllOutputs(outputs);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(deadlineSeconds);
        ManagedChannel channel = connection.open(target);
        try {
            if (!connection.connect(channel, target, deadlineSeconds, deadline)) {
                return 2;
            }
            request.addInputs(instanceTensor(ModelServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)
                    .getModel(GetModelRequest.newBuilder().setName(model).build())));
            ExplainResponse result = instances.size() > chunkRows ? split(channel, request.build(), deadline)
                    : streamed(channel, request.build(), deadline);
            System.err.println();
            if (result == null) {
                System.err.println("prism explain: the stream ended without a result");
                return 1;
            }
            if (instancesCsv != null) {
                InstancesCsv.writeAttributions(System.out, result);
            } else {
                print(System.out, result, instances);
            }
            result.getWarningsList().forEach(w -> System.err.println("warning: " + w.getMessage()));
            return 0;
        } catch (StatusRuntimeException e) {
            System.err.println();
            printError(System.err, e);
            return 1;
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** One request, streamed with a progress bar of its evaluations; null when the stream ends without a result. */
    private static ExplainResponse streamed(ManagedChannel channel, ExplainRequest request, long deadline) {
        Iterator<ExplainEvent> events = ExplainServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)
                .streamExplain(request);
        ExplainResponse result = null;
        while (events.hasNext()) {
            ExplainEvent e = events.next();
            if (e.hasProgress()) {
                drawProgress(System.err, e.getProgress());
            } else if (e.hasResult()) {
                result = e.getResult();
            }
        }
        return result;
    }

    /** Requests of --chunk-rows instances over the servers, with a progress bar of the instances answered. */
    private ExplainResponse split(ManagedChannel channel, ExplainRequest request, long deadline)
            throws InterruptedException {
        long start = System.nanoTime();
        int[] done = {0};
        return ChunkedExplain.run(channel, request, chunkRows, concurrency, deadline, rows -> {
            done[0] += rows;
            drawBar(System.err, done[0], instances.size(), "instances", (System.nanoTime() - start) / 1e9);
        });
    }

    /**
     * The instances, each shaped like the model's explained input ([n, 1, 8, 8] for an image
     * model), so flat lists of values work for any model; a count that fits no shape is sent flat
     * and the server says what it needs.
     */
    private Tensor instanceTensor(ModelInfo info) {
        int width = instances.get(0).length;
        Tensor.Builder x = Tensor.newBuilder().addShape(instances.size());
        List<Long> shape = info.getInputsList().stream().filter(t -> t.getName().equals(info.getExplainedInput()))
                .findFirst().map(TensorSpec::getShapeList).orElse(List.of());
        long elements = shape.stream().skip(1).reduce(1L, (a, b) -> a * b);
        if (shape.size() > 1 && elements == width) {
            shape.stream().skip(1).forEach(x::addShape);
        } else {
            x.addShape(width);
        }
        for (double[] values : instances) {
            for (double v : values) {
                x.addDoubleData(v);
            }
        }
        return x.build();
    }

    static void drawProgress(PrintStream err, Progress p) {
        drawBar(err, p.getEvaluationsDone(), p.getEvaluationsTotal(), "evaluations", p.getElapsedSeconds());
    }

    private static void drawBar(PrintStream err, long done, long total, String what, double seconds) {
        double fraction = total == 0 ? 0 : (double) done / total;
        int filled = (int) Math.round(fraction * BAR);
        err.printf(Locale.ROOT, "\r[%s%s] %5.1f%%  %,d/%,d %s  %.1fs", "#".repeat(filled),
                ".".repeat(BAR - filled), 100 * fraction, done, total, what, seconds);
        err.flush();
    }

    /** One table per explanation; with several instances, each table's title says which. */
    static void print(PrintStream out, ExplainResponse r, List<double[]> instances) {
        List<String> names = r.getFeatureNamesList();
        int nameWidth = Math.max(7, names.stream().mapToInt(String::length).max().orElse(7));
        for (Explanation e : r.getExplanationsList()) {
            double[] instance = instances.get(e.getInstance());
            String title = r.getModel() + " / " + r.getMethod()
                    + (instances.size() > 1 ? " / instance " + e.getInstance() : "") + " / output " + e.getOutput();
            double max = e.getAttributionsList().stream().mapToDouble(Math::abs).max().orElse(0);
            if (e.getDiagnostics().hasSurrogate()) {
                var fit = e.getDiagnostics().getSurrogate();
                out.printf(Locale.ROOT, "%s: intercept %.6g, local prediction %.6g, model %.6g"
                                + "  (weighted R^2 %.3f, %,d evaluations)%n", title, fit.getIntercept(),
                        fit.getLocalPrediction(), e.getModelOutput(), fit.getScore(),
                        e.getDiagnostics().getModelEvaluations());
            } else if (Double.isNaN(e.getBaseValue())) {
                // Saliency has no reference input, so no base to sum from.
                out.printf(Locale.ROOT, "%s: model %.6g  (%,d evaluations)%n", title, e.getModelOutput(),
                        e.getDiagnostics().getModelEvaluations());
            } else if (e.getDiagnostics().hasConvergenceDelta()) {
                out.printf(Locale.ROOT, "%s: base %.6g, model %.6g  (%,d evaluations, convergence delta %+.2g)%n",
                        title, e.getBaseValue(), e.getModelOutput(), e.getDiagnostics().getModelEvaluations(),
                        e.getDiagnostics().getConvergenceDelta());
            } else {
                out.printf(Locale.ROOT, "%s: base %.6g + sum %.6g = %.6g  (%s, %,d evaluations, gap %.2g)%n",
                        title, e.getBaseValue(), e.getModelOutput() - e.getBaseValue(), e.getModelOutput(),
                        e.getDiagnostics().getExact() ? "exact" : "estimated",
                        e.getDiagnostics().getModelEvaluations(), e.getDiagnostics().getEfficiencyGap());
            }
            boolean withSe = e.getStandardErrorsCount() > 0;
            out.printf(Locale.ROOT, "  %-" + nameWidth + "s %12s %13s%s%n", "feature", "value", "attribution",
                    withSe ? "     ± s.e." : "");
            IntStream.range(0, names.size()).boxed()
                    .sorted(Comparator.comparingDouble(i -> -Math.abs(e.getAttributions(i))))
                    .forEach(i -> {
                        double a = e.getAttributions(i);
                        int len = max == 0 ? 0 : (int) Math.round(Math.abs(a) / max * BAR);
                        out.printf(Locale.ROOT, "  %-" + nameWidth + "s %12.6g %+13.6g%s  %s%n", names.get(i),
                                instance[i], a,
                                withSe ? String.format(Locale.ROOT, "  %9.2g", e.getStandardErrors(i)) : "",
                                (a < 0 ? "-" : "+") + "#".repeat(len));
                    });
            out.println();
        }
    }

    static void printError(PrintStream err, StatusRuntimeException e) {
        err.println("prism explain: " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        if (status == null) {
            return;
        }
        for (com.google.protobuf.Any detail : status.getDetailsList()) {
            try {
                if (detail.is(ErrorInfo.class)) {
                    err.println("  reason: " + detail.unpack(ErrorInfo.class).getReason());
                } else if (detail.is(BadRequest.class)) {
                    for (BadRequest.FieldViolation v : detail.unpack(BadRequest.class).getFieldViolationsList()) {
                        err.println("  " + v.getField() + ": " + v.getDescription());
                    }
                }
            } catch (com.google.protobuf.InvalidProtocolBufferException ignored) {
                // an undecodable detail is left out of the printout
            }
        }
    }
}
