package dev.prism.bench;

import dev.prism.api.v1.ExampleServiceGrpc;
import dev.prism.api.v1.ExplainByExampleRequest;
import dev.prism.api.v1.UnlikeNeighbourOptions;
import dev.prism.explain.examples.ReferenceIndex;
import dev.prism.linalg.Cancellation;
import dev.prism.server.PrismServer;
import dev.prism.server.ServerOptions;
import dev.prism.tensor.RowBlock;
import io.grpc.ManagedChannel;
import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Explanations by example on a large reference set: breast_cancer (an MLP with 30 features) with
 * a synthetic reference set of --rows rows (the bundled background's rows plus seeded Gaussian
 * noise of a tenth of each feature's spread, written to a temporary repository and never kept).
 *
 * <p>Prints the server's load time (reading the CSV, predicting every row through the model's
 * scheduler, building both indexes), the input-space index's build time on its own (median of
 * --reps builds) and its bytes, then the latency of ExplainByExample calls of one instance each
 * (k = 10 in input space, and the nearest unlike neighbour), timed at the client over gRPC:
 * median and p99 of --queries calls after --warmup.
 */
public final class ExampleIndexBench {
    private static final String USAGE = "bench/example-index.sh [--rows 100000] [--queries 300] [--warmup 30]"
            + " [--reps 5]";

    private ExampleIndexBench() {}

    public static void main(String[] args) throws Exception {
        BenchSupport.Flags flags = new BenchSupport.Flags(args, USAGE, Set.of("rows", "queries", "warmup", "reps"));
        int rows = flags.integer("rows", 100_000);
        int queries = flags.integer("queries", 300);
        int warmup = flags.integer("warmup", 30);
        int reps = flags.integer("reps", 5);

        double[][] background = BenchSupport.readCsv(Path.of("models/breast_cancer/background.csv"));
        int d = background[0].length;
        double[] spread = new double[d];
        for (int j = 0; j < d; j++) {
            final int c = j;
            double mean = Arrays.stream(background).mapToDouble(r -> r[c]).average().orElseThrow();
            spread[j] = Math.sqrt(Arrays.stream(background).mapToDouble(r -> (r[c] - mean) * (r[c] - mean)).sum()
                    / background.length);
        }
        Random random = new Random(20261206);
        double[] data = new double[rows * d];
        for (int i = 0; i < rows; i++) {
            double[] base = background[random.nextInt(background.length)];
            for (int j = 0; j < d; j++) {
                data[i * d + j] = base[j] + 0.1 * spread[j] * random.nextGaussian();
            }
        }

        Path repo = Files.createTempDirectory("prism-example-bench");
        Path folder = Files.createDirectories(repo.resolve("breast_cancer"));
        try (var files = Files.list(Path.of("models/breast_cancer"))) {
            for (Path f : files.toList()) {
                Files.copy(f, folder.resolve(f.getFileName()));
            }
        }
        try (BufferedWriter out = Files.newBufferedWriter(folder.resolve("reference.csv"))) {
            for (int i = 0; i < rows; i++) {
                StringBuilder line = new StringBuilder();
                for (int j = 0; j < d; j++) {
                    line.append(j == 0 ? "" : ",").append((float) data[i * d + j]);
                }
                out.write(line.append('\n').toString());
            }
        }
        String config = Files.readString(folder.resolve("config.json")).strip();
        Files.writeString(folder.resolve("config.json"),
                config.substring(0, config.length() - 1) + ", \"referenceFile\": \"reference.csv\"}");

        List<Double> builds = new ArrayList<>();
        long bytes = 0;
        RowBlock block = new RowBlock(rows, d, data);
        for (int r = 0; r < reps; r++) {
            long start = System.nanoTime();
            ReferenceIndex index = ReferenceIndex.inputSpace(block, new boolean[d], null, Cancellation.NEVER);
            builds.add((System.nanoTime() - start) / 1e6);
            bytes = index.bytes();
        }

        long loadStart = System.nanoTime();
        try (PrismServer server = PrismServer.start(ServerOptions.defaults(repo).withPorts(0, -1))) {
            double loadMs = (System.nanoTime() - loadStart) / 1e6;
            ManagedChannel channel = BenchSupport.channel(server.port());
            try {
                var stub = ExampleServiceGrpc.newBlockingStub(channel);
                System.out.printf("reference set: %d rows x %d features%n", rows, d);
                System.out.printf("server start with the model loaded (CSV, predictions, indexes): %.0f ms%n", loadMs);
                System.out.printf("input-space index build: median %.1f ms over %d builds; %d bytes (%.1f MiB)%n",
                        BenchSupport.median(builds), reps, bytes, bytes / 1048576.0);
                for (boolean unlike : new boolean[] {false, true}) {
                    List<Double> times = new ArrayList<>();
                    for (int q = 0; q < warmup + queries; q++) {
                        double[][] instance = {background[q % background.length]};
                        ExplainByExampleRequest.Builder request = ExplainByExampleRequest.newBuilder()
                                .setModel("breast_cancer").setInstances(BenchSupport.tensor(instance));
                        if (unlike) {
                            request.setUnlikeNeighbour(UnlikeNeighbourOptions.newBuilder().setThreshold(0.5));
                        } else {
                            request.setK(10);
                        }
                        long start = System.nanoTime();
                        stub.explainByExample(request.build());
                        if (q >= warmup) {
                            times.add((System.nanoTime() - start) / 1e6);
                        }
                    }
                    double[] sorted = times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
                    System.out.printf("%s: median %.2f ms, p99 %.2f ms over %d calls%n",
                            unlike ? "nearest unlike neighbour" : "k=10 neighbours, input space",
                            BenchSupport.median(times), sorted[(int) Math.ceil(0.99 * sorted.length) - 1],
                            sorted.length);
                }
            } finally {
                BenchSupport.close(channel);
            }
        } finally {
            try (var walk = Files.walk(repo)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
