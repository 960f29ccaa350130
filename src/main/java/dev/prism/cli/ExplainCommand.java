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
import java.io.PrintStream;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** A small gRPC client: streams one explanation with a progress bar, then prints sorted attributions. */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = "Asks a running Prism server to explain one instance.")
final class ExplainCommand implements Callable<Integer> {
    /** The method names the server's method table declares, for --method's help. */
    static final class MethodNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return dev.prism.server.MethodTable.names().iterator();
        }
    }

    private static final int BAR = 28;

    @Option(names = "--target", defaultValue = "localhost:50051", description = "Server address (default ${DEFAULT-VALUE}).")
    String target;

    @Option(names = "--model", required = true, description = "Model name.")
    String model;

    @Option(names = "--instance", required = true, split = ",", description = "Feature values, comma-separated.")
    List<Double> instance;

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

    @Option(names = "--deadline-seconds", defaultValue = "600", description = "Call deadline (default ${DEFAULT-VALUE}).")
    long deadlineSeconds;

    @Override
    public Integer call() throws Exception {
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
        ManagedChannel channel = connection.open(target);
        try {
            request.addInputs(instanceTensor(ModelServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(deadlineSeconds, TimeUnit.SECONDS)
                    .getModel(GetModelRequest.newBuilder().setName(model).build())));
            Iterator<ExplainEvent> events = ExplainServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(deadlineSeconds, TimeUnit.SECONDS)
                    .streamExplain(request.build());
            ExplainResponse result = null;
            while (events.hasNext()) {
                ExplainEvent e = events.next();
                if (e.hasProgress()) {
                    drawProgress(System.err, e.getProgress());
                } else if (e.hasResult()) {
                    result = e.getResult();
                }
            }
            System.err.println();
            if (result == null) {
                System.err.println("prism explain: the stream ended without a result");
                return 1;
            }
            print(System.out, result, instance);
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

    /**
     * The instance shaped like the model's explained input ([1, 1, 8, 8] for an image model), so
     * a flat list of values works for any model; a count that fits no shape is sent flat and the
     * server says what it needs.
     */
    private Tensor instanceTensor(ModelInfo info) {
        Tensor.Builder x = Tensor.newBuilder().addShape(1);
        List<Long> shape = info.getInputsList().stream().filter(t -> t.getName().equals(info.getExplainedInput()))
                .findFirst().map(TensorSpec::getShapeList).orElse(List.of());
        long elements = shape.stream().skip(1).reduce(1L, (a, b) -> a * b);
        if (shape.size() > 1 && elements == instance.size()) {
            shape.stream().skip(1).forEach(x::addShape);
        } else {
            x.addShape(instance.size());
        }
        instance.forEach(x::addDoubleData);
        return x.build();
    }

    static void drawProgress(PrintStream err, Progress p) {
        double fraction = p.getEvaluationsTotal() == 0 ? 0 : (double) p.getEvaluationsDone() / p.getEvaluationsTotal();
        int filled = (int) Math.round(fraction * BAR);
        err.printf(Locale.ROOT, "\r[%s%s] %5.1f%%  %,d/%,d evaluations  %.1fs", "#".repeat(filled),
                ".".repeat(BAR - filled), 100 * fraction, p.getEvaluationsDone(), p.getEvaluationsTotal(),
                p.getElapsedSeconds());
        err.flush();
    }

    static void print(PrintStream out, ExplainResponse r, List<Double> instance) {
        List<String> names = r.getFeatureNamesList();
        int nameWidth = Math.max(7, names.stream().mapToInt(String::length).max().orElse(7));
        for (Explanation e : r.getExplanationsList()) {
            double max = e.getAttributionsList().stream().mapToDouble(Math::abs).max().orElse(0);
            if (e.getDiagnostics().hasSurrogate()) {
                var fit = e.getDiagnostics().getSurrogate();
                out.printf(Locale.ROOT, "%s / %s / output %s: intercept %.6g, local prediction %.6g, model %.6g"
                                + "  (weighted R^2 %.3f, %,d evaluations)%n", r.getModel(), r.getMethod(),
                        e.getOutput(), fit.getIntercept(), fit.getLocalPrediction(), e.getModelOutput(), fit.getScore(),
                        e.getDiagnostics().getModelEvaluations());
            } else if (Double.isNaN(e.getBaseValue())) {
                // Saliency has no reference input, so no base to sum from.
                out.printf(Locale.ROOT, "%s / %s / output %s: model %.6g  (%,d evaluations)%n", r.getModel(),
                        r.getMethod(), e.getOutput(), e.getModelOutput(), e.getDiagnostics().getModelEvaluations());
            } else if (e.getDiagnostics().hasConvergenceDelta()) {
                out.printf(Locale.ROOT, "%s / %s / output %s: base %.6g, model %.6g  (%,d evaluations,"
                                + " convergence delta %+.2g)%n", r.getModel(), r.getMethod(), e.getOutput(),
                        e.getBaseValue(), e.getModelOutput(), e.getDiagnostics().getModelEvaluations(),
                        e.getDiagnostics().getConvergenceDelta());
            } else {
                out.printf(Locale.ROOT, "%s / %s / output %s: base %.6g + sum %.6g = %.6g  (%s, %,d evaluations, gap %.2g)%n",
                    r.getModel(), r.getMethod(), e.getOutput(), e.getBaseValue(),
                    e.getModelOutput() - e.getBaseValue(), e.getModelOutput(),
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
                                instance.get(i), a,
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
