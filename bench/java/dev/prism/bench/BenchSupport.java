package dev.prism.bench;

import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.KernelShapParams;
import dev.prism.api.v1.Tensor;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** Flags, test data, channels and statistics shared by the benchmarks. */
final class BenchSupport {
    private BenchSupport() {}

    /** {@code --name value} flags; unknown names are an error so that a typo does not go unnoticed. */
    static final class Flags {
        private final Map<String, String> values = new HashMap<>();

        Flags(String[] args, String usage, Set<String> known) {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("-h") || a.equals("--help")) {
                    System.out.println(usage);
                    System.exit(0);
                }
                String name = a.startsWith("--") ? a.substring(2) : null;
                if (name == null || !known.contains(name) || i + 1 == args.length) {
                    System.err.println("bad argument '" + a + "'\n" + usage);
                    System.exit(2);
                }
                values.put(name, args[++i]);
            }
        }

        int integer(String name, int fallback) {
            String v = values.get(name);
            return v == null ? fallback : Integer.parseInt(v);
        }

        String string(String name, String fallback) {
            return values.getOrDefault(name, fallback);
        }
    }

    /** The rows of a model's background.csv (header skipped). */
    static double[][] readCsv(Path file) throws IOException {
        List<double[]> rows = new ArrayList<>();
        List<String> lines = Files.readAllLines(file);
        for (String line : lines.subList(1, lines.size())) {
            if (!line.isBlank()) {
                rows.add(Arrays.stream(line.split(",")).mapToDouble(Double::parseDouble).toArray());
            }
        }
        return rows.toArray(double[][]::new);
    }

    /**
     * Deterministic instances that are not background rows: feature c of instance i comes from a
     * different background row per feature, so each instance is new yet stays in the data's range,
     * and every feature differs from some background row (so every feature counts as varying).
     */
    static double[][] mixedInstances(double[][] background, int count) {
        double[][] out = new double[count][];
        int n = background.length;
        for (int i = 0; i < count; i++) {
            int width = background[0].length;
            out[i] = new double[width];
            for (int c = 0; c < width; c++) {
                out[i][c] = background[(i * 7 + c * 13 + 3) % n][c];
            }
        }
        return out;
    }

    /**
     * A KernelSHAP request for the given instances; nsamples 0 keeps the server's default. These
     * benchmarks measure the serving path (masking, batching, gRPC) against raw model throughput,
     * so they pin the plain regression (ESTIMATOR_KERNEL): the default's interaction adjustment is
     * estimator arithmetic, measured by the accuracy and perturbation-speed benchmarks instead.
     */
    static ExplainRequest kernelShapRequest(String model, double[][] instances, long nsamples) {
        return ExplainRequest.newBuilder()
                .setModel(model)
                .addInputs(tensor(instances))
                .setKernelShap(KernelShapParams.newBuilder().setNsamples(nsamples)
                        .setEstimator(KernelShapParams.Estimator.ESTIMATOR_KERNEL))
                .build();
    }

    /** Rows as a batch-first float tensor. */
    static Tensor tensor(double[][] rows) {
        Tensor.Builder t = Tensor.newBuilder().addShape(rows.length).addShape(rows[0].length);
        for (double[] row : rows) {
            for (double v : row) {
                t.addFloatData((float) v);
            }
        }
        return t.build();
    }

    /** A plaintext Netty channel to a local server, accepting large responses. */
    static ManagedChannel channel(int port) {
        return NettyChannelBuilder.forAddress("127.0.0.1", port)
                .usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024)
                .build();
    }

    static void close(ManagedChannel channel) {
        try {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    /** The median of the per-pair ratios a[i] / b[i]: each pair ran back to back, so slow drift cancels. */
    static double medianRatio(List<Double> a, List<Double> b) {
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            ratios.add(a.get(i) / b.get(i));
        }
        return median(ratios);
    }

    static double min(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    static String list(List<Double> values, String format) {
        StringBuilder s = new StringBuilder("[");
        for (double v : values) {
            s.append(s.length() > 1 ? " " : "").append(String.format(format, v));
        }
        return s.append(']').toString();
    }
}
