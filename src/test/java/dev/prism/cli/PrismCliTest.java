package dev.prism.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.server.PrismServer;
import dev.prism.server.ServerOptions;
import dev.prism.testing.AttributionFunctionModel;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code prism explain} against a real server on a free port. */
class PrismCliTest {
    private static PrismServer server;

    @BeforeAll
    static void start() throws Exception {
        server = PrismServer.start(ServerOptions.defaults(Path.of("models")).withPorts(0, -1));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void aDnsTargetReachesEveryAddressTheNameResolvesTo() {
        // What a headless Service gives a client: a name for the replicas, balanced round robin.
        CliRun r = run("explain", "--target", "dns:///127.0.0.1:" + server.port(), "--model", "iris",
                "--instance", "5.1,3.5,1.4,0.2", "--method", "exact_shapley");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("iris / exact_shapley / output setosa"), r.out());
    }

    @Test
    void explainPrintsEachOutputsAttributionsSortedByMagnitude() {
        CliRun r = run("explain", "--target", "localhost:" + server.port(), "--model", "iris",
                "--instance", "5.1,3.5,1.4,0.2");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("100.0%"), "progress bar reaches 100%: " + r.err());
        for (String output : List.of("setosa", "versicolor", "virginica")) {
            assertTrue(r.out().contains("iris / tree_shap / output " + output), r.out());
        }
        // Table rows: name, value, attribution, bar. Within each table |attribution| never grows.
        Pattern row = Pattern.compile("^  (\\w+)\\s+(\\S+)\\s+([+-]\\S+)\\s+([+-]#*)$", Pattern.MULTILINE);
        Matcher m = row.matcher(r.out());
        List<Double> table = new ArrayList<>();
        int rows = 0;
        double sumSetosa = 0;
        while (m.find()) {
            double a = Double.parseDouble(m.group(3));
            if (rows % 4 == 0) {
                table.clear();
            }
            if (!table.isEmpty()) {
                assertTrue(Math.abs(a) <= Math.abs(table.get(table.size() - 1)) + 1e-12, r.out());
            }
            assertEquals(a < 0 ? '-' : '+', m.group(4).charAt(0));
            table.add(a);
            if (rows < 4) {
                sumSetosa += a;
            }
            rows++;
        }
        assertEquals(12, rows, r.out());
        Matcher header = Pattern.compile("output setosa: base (\\S+) \\+ sum (\\S+) = (\\S+)").matcher(r.out());
        assertTrue(header.find());
        assertEquals(Double.parseDouble(header.group(2)), sumSetosa, 1e-5);
    }

    @Test
    void everyMethodCanBeAskedForByName() {
        for (String method : List.of("kernel_shap", "exact_shapley", "permutation_shap", "lime")) {
            CliRun r = run("explain", "--target", "localhost:" + server.port(), "--model", "iris",
                    "--instance", "5.1,3.5,1.4,0.2", "--method", method, "--outputs", "setosa");
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.out().contains("iris / " + method + " / output setosa"), r.out());
        }
        assertTrue(run("explain", "--target", "localhost:" + server.port(), "--model", "iris",
                "--instance", "5.1,3.5,1.4,0.2", "--method", "lime").out().contains("weighted R^2"));
        assertEquals(2, run("explain", "--target", "localhost:" + server.port(), "--model", "iris",
                "--instance", "5.1,3.5,1.4,0.2", "--method", "nope").exit());
    }

    @Test
    void aFlatInstanceIsShapedLikeTheModelsInput() throws Exception {
        // digits takes [N, 1, 8, 8]; the 64 values on the command line become one image.
        String pixels = java.nio.file.Files.readAllLines(Path.of("models/digits/background.csv")).get(1);
        CliRun r = run("explain", "--target", "localhost:" + server.port(), "--model", "digits",
                "--instance", pixels, "--method", "kernel_shap", "--nsamples", "256", "--outputs", "3");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("digits / kernel_shap / output 3"), r.out());
        assertTrue(r.out().contains("px_"), r.out());
    }

    @Test
    void gradientMethodsShowTheConvergenceDelta(@TempDir Path dir) throws Exception {
        // f = W x on the score output and V x on the logits, so Integrated Gradients from zeros gives V ⊙ x.
        double[][] w = {{1, -2, 0.5}, {0, 1, 1}};
        double[][] v = {{3, 0.25, -1}, {-2, 1, 0}};
        AttributionFunctionModel lin = new AttributionFunctionModel(3, 2, AttributionFunctionModel.linear(w,
                new double[2]), AttributionFunctionModel.linear(v, new double[2]), Map.of());
        Path folder = Files.createDirectories(dir.resolve("lin"));
        Files.writeString(folder.resolve("model.onnx"), "computed in Java");
        try (PrismServer fake = PrismServer.start(ServerOptions.defaults(dir).withPorts(0, -1),
                NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)), (file, settings, device) -> lin)) {
            CliRun ig = run("explain", "--target", "localhost:" + fake.port(), "--model", "lin", "--instance", "2,1,4",
                    "--method", "integrated_gradients", "--n-steps", "7", "--gradient-target", "logits",
                    "--outputs", "y0");
            assertEquals(0, ig.exit(), ig.err());
            Matcher header = Pattern.compile("lin / integrated_gradients / output y0: base 0\\.00000, model 2\\.25000"
                    + "  \\(9 evaluations, convergence delta (\\S+)\\)").matcher(ig.out());
            assertTrue(header.find(), ig.out());
            assertEquals(0, Double.parseDouble(header.group(1)), 1e-9);
            Matcher first = Pattern.compile("^  x0\\s+2\\.00000\\s+\\+6\\.00000\\s", Pattern.MULTILINE).matcher(ig.out());
            assertTrue(first.find(), "x0's attribution is 3 × 2: " + ig.out());

            CliRun saliency = run("explain", "--target", "localhost:" + fake.port(), "--model", "lin",
                    "--instance", "2,1,4", "--method", "saliency", "--outputs", "y1");
            assertEquals(0, saliency.exit(), saliency.err());
            assertTrue(saliency.out().contains("lin / saliency / output y1: model 5.00000  (1 evaluations)"), saliency.out());

            assertEquals(2, run("explain", "--target", "localhost:" + fake.port(), "--model", "lin",
                    "--instance", "2,1,4", "--method", "saliency", "--gradient-target", "nope").exit());
        }
        CliRun unsupported = run("explain", "--target", "localhost:" + server.port(), "--model", "iris",
                "--instance", "5.1,3.5,1.4,0.2", "--method", "deep_lift");
        assertEquals(1, unsupported.exit());
        assertTrue(unsupported.err().contains("FAILED_PRECONDITION")
                && unsupported.err().contains("reason: METHOD_UNSUPPORTED_FOR_MODEL"), unsupported.err());
    }

    @Test
    void aResponseWarningIsPrinted() throws Exception {
        String pixels = java.nio.file.Files.readAllLines(Path.of("models/digits_cnn/background.csv")).get(1);
        CliRun r = run("explain", "--target", "localhost:" + server.port(), "--model", "digits_cnn",
                "--instance", pixels, "--method", "deep_lift");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("warning: deep_lift leaves up to ")
                && r.err().contains("ask for GRADIENT_TARGET_LOGITS"), r.err());
        CliRun logits = run("explain", "--target", "localhost:" + server.port(), "--model", "digits_cnn",
                "--instance", pixels, "--method", "deep_lift", "--gradient-target", "logits");
        assertEquals(0, logits.exit(), logits.err());
        assertTrue(!logits.err().contains("warning:"), logits.err());
    }

    @Test
    void errorsShowTheStatusReasonAndFields() {
        CliRun unknown = run("explain", "--target", "localhost:" + server.port(), "--model", "nope",
                "--instance", "1,2,3,4");
        assertEquals(1, unknown.exit());
        assertTrue(unknown.err().contains("NOT_FOUND") && unknown.err().contains("reason: MODEL_NOT_FOUND"),
                unknown.err());

        CliRun shape = run("explain", "--target", "localhost:" + server.port(), "--model", "iris",
                "--instance", "1,2,3");
        assertEquals(1, shape.exit());
        assertTrue(shape.err().contains("INVALID_ARGUMENT") && shape.err().contains("inputs[0].shape[1]"),
                shape.err());
    }

    @Test
    void everyCommandPrintsTheProjectVersion() throws Exception {
        Matcher pom = Pattern.compile("<artifactId>prism</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(Path.of("pom.xml")));
        assertTrue(pom.find());
        for (String[] command : List.of(new String[] {}, new String[] {"serve"}, new String[] {"explain"},
                new String[] {"health"}, new String[] {"reload"})) {
            List<String> args = new ArrayList<>(List.of(command));
            args.add("--version");
            CliRun r = run(args.toArray(String[]::new));
            assertEquals(0, r.exit(), args + ": " + r.err());
            assertEquals("prism " + pom.group(1), r.out().strip(), args.toString());
        }
    }

    @Test
    void repeatedInstancesAreExplainedInOneRequestAndEachPrinted() {
        double before = explanations("iris");
        CliRun r = run("explain", "--target", "localhost:" + server.port(), "--model", "iris",
                "--instance", "5.1,3.5,1.4,0.2", "--instance", "6.9,3.2,5.7,2.3", "--outputs", "virginica");
        assertEquals(0, r.exit(), r.err());
        assertEquals(1, explanations("iris") - before, "one request");
        // Each instance's table shows its own values.
        Pattern table = Pattern.compile("^iris / tree_shap / instance (\\d) / output virginica: .*\\n"
                + "  feature .*\\n((?:  \\S+\\s+\\S+\\s+[+-]\\S+\\s+[+-]#*\\n){4})", Pattern.MULTILINE);
        Matcher m = table.matcher(r.out());
        List<String> petalLengths = new ArrayList<>();
        while (m.find()) {
            Matcher petal = Pattern.compile("^  petal_length\\s+(\\S+)\\s", Pattern.MULTILINE).matcher(m.group(2));
            assertTrue(petal.find(), m.group(2));
            petalLengths.add(m.group(1) + ":" + petal.group(1));
        }
        assertEquals(List.of("0:1.40000", "1:5.70000"), petalLengths, r.out());

        CliRun uneven = run("explain", "--target", "localhost:" + server.port(), "--model", "iris",
                "--instance", "5.1,3.5,1.4,0.2", "--instance", "6.9,3.2,5.7");
        assertEquals(2, uneven.exit());
        assertEquals("prism explain: every --instance needs as many values as the first (4), not 3",
                uneven.err().strip());
        CliRun notNumbers = run("explain", "--target", "localhost:" + server.port(), "--model", "iris",
                "--instance", "5.1,x,1.4,0.2");
        assertEquals(2, notNumbers.exit());
        assertTrue(notNumbers.err().contains("'5.1,x,1.4,0.2' is not a list of numbers separated by commas"
                + " ('x' is not a number)"), notNumbers.err());
    }

    private static double explanations(String model) {
        return server.registry().find("prism.explanations").tag("model", model).counters().stream()
                .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
    }

    @Test
    void aServerThatIsDownCannotBeConnectedTo() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        CliRun r = run("explain", "--target", "127.0.0.1:" + port, "--model", "iris", "--instance", "1,2,3,4",
                "--deadline-seconds", "20");
        assertEquals(2, r.exit(), r.out() + r.err());
        assertEquals("prism explain: cannot connect to 127.0.0.1:" + port + " (connection failed)", r.err().strip());
        assertEquals("", r.out());
    }

    @Test
    void serveRefusesAReflectionSettingOrHostItDoesNotKnow() {
        CliRun reflection = run("serve", "--port", "0", "--metrics-port", "-1", "--reflection", "closed");
        assertEquals(2, reflection.exit(), reflection.err());
        assertEquals("prism: --reflection must be open, tokens or off, not 'closed'", reflection.err().strip());
        CliRun tokens = run("serve", "--port", "0", "--metrics-port", "-1", "--reflection", "tokens");
        assertEquals(2, tokens.exit(), tokens.err());
        assertEquals("prism: --reflection tokens needs --tokens-file", tokens.err().strip());
        CliRun host = run("serve", "--port", "0", "--metrics-port", "-1", "--host", "no-such-host.invalid");
        assertEquals(2, host.exit(), host.err());
        assertEquals("prism: host 'no-such-host.invalid' does not resolve to an address", host.err().strip());
    }

    @Test
    void serveRefusesANegativeQueueWait() {
        CliRun r = run("serve", "--port", "0", "--metrics-port", "-1", "--explain-queue-wait-seconds", "-1");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("--explain-queue-wait-seconds must be 0 or more"), r.err());
    }
}
