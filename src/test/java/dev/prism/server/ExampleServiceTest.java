package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.assertViolation;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.api.v1.DifferingFeature;
import dev.prism.api.v1.ExampleServiceGrpc;
import dev.prism.api.v1.ExampleSet;
import dev.prism.api.v1.ExampleSpace;
import dev.prism.api.v1.ExplainByExampleRequest;
import dev.prism.api.v1.ExplainByExampleResponse;
import dev.prism.api.v1.InstanceExamples;
import dev.prism.api.v1.ModelServiceGrpc;
import dev.prism.api.v1.PredictRequest;
import dev.prism.api.v1.PrototypeOptions;
import dev.prism.api.v1.ReferenceExample;
import dev.prism.api.v1.Tensor;
import dev.prism.api.v1.UnlikeNeighbour;
import dev.prism.api.v1.UnlikeNeighbourOptions;
import dev.prism.explain.examples.MmdCritic;
import dev.prism.explain.examples.ReferenceIndex;
import dev.prism.linalg.Cancellation;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ExplainByExample on a live in-process server, every answer checked against a brute-force scan of
 * the reference set: iris (a classifier, its background with a label column added) and diabetes (a
 * regression model whose "sex" is declared categorical).
 */
class ExampleServiceTest {
    private static final String REFUSED = "METHOD_UNSUPPORTED_FOR_MODEL";

    @TempDir
    static Path dir;
    private static ServerTestSupport.InProcess server;
    private static double[][] iris;
    private static double[] irisLabels;
    private static double[][] irisPredictions;
    private static double[][] diabetes;

    @BeforeAll
    static void start() throws IOException {
        Path repo = ServerTestSupport.repository(dir, "iris", "diabetes", "breast_cancer");
        iris = rows("iris", 100);
        irisLabels = IntStream.range(0, iris.length).mapToDouble(i -> (i * 7) % 3).toArray();
        List<String> lines = new ArrayList<>(List.of("sepal_length,species,sepal_width,petal_length,petal_width"));
        for (int i = 0; i < iris.length; i++) {
            double[] r = iris[i];
            lines.add(r[0] + "," + irisLabels[i] + "," + r[1] + "," + r[2] + "," + r[3]);
        }
        Files.write(repo.resolve("iris/reference.csv"), lines);
        configure(repo.resolve("iris/config.json"), "\"referenceFile\": \"reference.csv\","
                + " \"referenceLabelColumn\": \"species\"");
        diabetes = rows("diabetes", 100);
        configure(repo.resolve("diabetes/config.json"), "\"referenceFile\": \"background.csv\","
                + " \"categoricalFeatures\": [\"sex\"]");
        server = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(repo));
        double[] flat = Arrays.stream(iris).flatMapToDouble(Arrays::stream).toArray();
        irisPredictions = matrix(ModelServiceGrpc.newBlockingStub(server.channel).predict(PredictRequest.newBuilder()
                .setModel("iris").addInputs(ServerTestSupport.doubles(new long[] {iris.length, 4}, flat)).build())
                .getOutputs(0), 3);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        server.close();
    }

    private static void configure(Path config, String fields) throws IOException {
        String json = Files.readString(config).strip();
        Files.writeString(config, json.substring(0, json.length() - 1) + ", " + fields + "}");
    }

    private static double[][] rows(String model, int n) {
        double[] flat = ServerTestSupport.backgroundRows(model, n);
        int width = flat.length / n;
        double[][] out = new double[n][];
        for (int i = 0; i < n; i++) {
            out[i] = Arrays.copyOfRange(flat, i * width, (i + 1) * width);
        }
        return out;
    }

    private static double[][] matrix(Tensor t, int width) {
        int n = (int) t.getShape(0);
        double[][] out = new double[n][width];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < width; j++) {
                out[i][j] = t.getFloatDataCount() > 0 ? t.getFloatData(i * width + j) : t.getDoubleData(i * width + j);
            }
        }
        return out;
    }

    private static ExampleServiceGrpc.ExampleServiceBlockingStub examples() {
        return ExampleServiceGrpc.newBlockingStub(server.channel);
    }

    /** Standardised squared distance by the textbook formula, categorical features by mismatch. */
    private static double[] bruteDistances(double[][] reference, double[] query, boolean[] categorical) {
        int d = query.length;
        double[] mean = new double[d];
        double[] sd = new double[d];
        for (int j = 0; j < d; j++) {
            for (double[] r : reference) {
                mean[j] += r[j];
            }
            mean[j] /= reference.length;
            for (double[] r : reference) {
                sd[j] += (r[j] - mean[j]) * (r[j] - mean[j]);
            }
            sd[j] = Math.sqrt(sd[j] / reference.length);
        }
        double[] out = new double[reference.length];
        for (int i = 0; i < reference.length; i++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                if (categorical[j]) {
                    s += reference[i][j] != query[j] ? 1 : 0;
                } else if (sd[j] > 0) {
                    double z = (reference[i][j] - mean[j]) / sd[j] - (query[j] - mean[j]) / sd[j];
                    s += z * z;
                }
            }
            out[i] = Math.sqrt(s);
        }
        return out;
    }

    private static int[] order(double[] distances) {
        return IntStream.range(0, distances.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> distances[i]).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
    }

    private static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    private static final double[][] QUERIES = {{5.0, 3.4, 1.5, 0.2}, {6.1, 2.8, 4.7, 1.2}, {6.9, 3.1, 5.4, 2.1},
        {5.9, 2.9, 4.9, 1.6}};

    private static Tensor queries() {
        return floats(QUERIES.length, Arrays.stream(QUERIES).flatMapToDouble(Arrays::stream).toArray());
    }

    /** The instance as the server sees it: float32 on the wire. */
    private static double[] asFloat(double[] q) {
        return Arrays.stream(q).map(v -> (float) v).toArray();
    }

    @Test
    void inputSpaceNeighboursAreTheBruteForceOnesWithPredictionsAndLabels() {
        ExplainByExampleResponse r = examples().explainByExample(ExplainByExampleRequest.newBuilder()
                .setModel("iris").setInstances(queries()).setK(7).build());
        assertEquals(QUERIES.length, r.getInstancesCount());
        assertEquals(List.of("sepal_length", "sepal_width", "petal_length", "petal_width"), r.getFeatureNamesList());
        for (int q = 0; q < QUERIES.length; q++) {
            double[] distances = bruteDistances(iris, asFloat(QUERIES[q]), new boolean[4]);
            int[] expected = Arrays.copyOf(order(distances), 7);
            InstanceExamples e = r.getInstances(q);
            assertArrayEquals(expected, e.getNeighboursList().stream().mapToInt(ReferenceExample::getRow).toArray());
            for (ReferenceExample n : e.getNeighboursList()) {
                assertEquals(distances[n.getRow()], n.getDistance(), 1e-12);
                assertArrayEquals(iris[n.getRow()], n.getValuesList().stream().mapToDouble(Double::doubleValue)
                        .toArray());
                assertArrayEquals(irisPredictions[n.getRow()], n.getPredictionList().stream()
                        .mapToDouble(Double::doubleValue).toArray(), 1e-6);
                assertEquals(argmax(irisPredictions[n.getRow()]), n.getPredictedClass());
                assertTrue(n.hasLabel());
                assertEquals(irisLabels[n.getRow()], n.getLabel());
            }
            assertEquals(argmax(e.getPredictionList().stream().mapToDouble(Double::doubleValue).toArray()),
                    e.getPredictedClass());
        }
    }

    @Test
    void outputSpaceNeighboursAreTheNearestPredictions() {
        ExplainByExampleResponse r = examples().explainByExample(ExplainByExampleRequest.newBuilder()
                .setModel("iris").setInstances(queries()).setK(5).setSpace(ExampleSpace.EXAMPLE_SPACE_OUTPUT).build());
        for (int q = 0; q < QUERIES.length; q++) {
            double[] p = r.getInstances(q).getPredictionList().stream().mapToDouble(Double::doubleValue).toArray();
            double[] distances = new double[iris.length];
            for (int i = 0; i < iris.length; i++) {
                double s = 0;
                for (int c = 0; c < 3; c++) {
                    s += (irisPredictions[i][c] - p[c]) * (irisPredictions[i][c] - p[c]);
                }
                distances[i] = Math.sqrt(s);
            }
            List<ReferenceExample> got = r.getInstances(q).getNeighboursList();
            assertEquals(5, got.size());
            double fifth = Arrays.stream(distances).sorted().toArray()[4];
            for (ReferenceExample n : got) {
                assertEquals(distances[n.getRow()], n.getDistance(), 1e-6);
                assertTrue(n.getDistance() <= fifth + 1e-6, () -> "row " + n.getRow() + " is not among the 5 nearest");
            }
        }
    }

    @Test
    void unlikeNeighbourIsTheNearestRowOfAnotherPredictedClass() {
        double threshold = 0.5;
        ExplainByExampleResponse r = examples().explainByExample(ExplainByExampleRequest.newBuilder()
                .setModel("iris").setInstances(queries())
                .setUnlikeNeighbour(UnlikeNeighbourOptions.newBuilder().setThreshold(threshold)).build());
        for (int q = 0; q < QUERIES.length; q++) {
            InstanceExamples e = r.getInstances(q);
            assertEquals(0, e.getNeighboursCount());
            int own = e.getPredictedClass();
            double[] query = asFloat(QUERIES[q]);
            double[] distances = bruteDistances(iris, query, new boolean[4]);
            int expected = Arrays.stream(order(distances)).filter(i -> argmax(irisPredictions[i]) != own)
                    .findFirst().orElseThrow();
            UnlikeNeighbour u = e.getUnlikeNeighbour();
            assertEquals(expected, u.getExample().getRow());
            assertNotEquals(own, u.getExample().getPredictedClass());
            assertEquals(distances[expected], u.getExample().getDistance(), 1e-12);
            double[] sd = standardDeviations(iris);
            List<Integer> differing = new ArrayList<>();
            for (int j = 0; j < 4; j++) {
                if (Math.abs((iris[expected][j] - query[j]) / sd[j]) > threshold) {
                    differing.add(j);
                }
            }
            assertEquals(differing, u.getDifferingFeaturesList().stream().map(DifferingFeature::getIndex).sorted()
                    .toList());
            for (DifferingFeature f : u.getDifferingFeaturesList()) {
                assertEquals(r.getFeatureNames(f.getIndex()), f.getName());
                assertEquals(query[f.getIndex()], f.getInstanceValue());
                assertEquals(iris[expected][f.getIndex()], f.getNeighbourValue());
                assertEquals((iris[expected][f.getIndex()] - query[f.getIndex()]) / sd[f.getIndex()],
                        f.getStandardisedDifference(), 1e-9);
            }
        }
    }

    private static double[] standardDeviations(double[][] rows) {
        int d = rows[0].length;
        double[] sd = new double[d];
        for (int j = 0; j < d; j++) {
            final int c = j;
            double mean = Arrays.stream(rows).mapToDouble(r -> r[c]).average().orElseThrow();
            sd[j] = Math.sqrt(Arrays.stream(rows).mapToDouble(r -> (r[c] - mean) * (r[c] - mean)).sum() / rows.length);
        }
        return sd;
    }

    @Test
    void categoricalFeaturesCountAsMismatches() {
        double[] query = diabetes[3].clone();
        query[1] = -query[1]; // the other sex: one mismatch more against every row of its own
        ExplainByExampleResponse r = examples().explainByExample(ExplainByExampleRequest.newBuilder()
                .setModel("diabetes").setInstances(ServerTestSupport.doubles(new long[] {1, 10}, query)).setK(10)
                .build());
        boolean[] categorical = new boolean[10];
        categorical[1] = true;
        double[] distances = bruteDistances(diabetes, query, categorical); // diabetes takes float64
        InstanceExamples e = r.getInstances(0);
        assertArrayEquals(Arrays.copyOf(order(distances), 10),
                e.getNeighboursList().stream().mapToInt(ReferenceExample::getRow).toArray());
        assertEquals(-1, e.getPredictedClass());
        for (ReferenceExample n : e.getNeighboursList()) {
            assertEquals(distances[n.getRow()], n.getDistance(), 1e-9);
            assertFalse(n.hasLabel());
        }
    }

    @Test
    void prototypesAndCriticismsOfTheReferenceAreMmdCriticsOnes() {
        ExplainByExampleResponse r = examples().explainByExample(ExplainByExampleRequest.newBuilder()
                .setModel("iris").setInstances(queries()).setPrototypes(PrototypeOptions.newBuilder()
                        .setSet(ExampleSet.EXAMPLE_SET_REFERENCE).setPrototypes(4).setCriticisms(3)).build());
        MmdCritic.Selection s = MmdCritic.select(ReferenceIndex.inputSpace(iris, new boolean[4], null,
                Cancellation.NEVER), null, 4, 3, Cancellation.NEVER);
        assertEquals(ExampleSet.EXAMPLE_SET_REFERENCE, r.getPrototypes().getSet());
        assertEquals(s.bandwidth(), r.getPrototypes().getBandwidth());
        assertArrayEquals(s.prototypes(), r.getPrototypes().getPrototypesList().stream()
                .mapToInt(dev.prism.api.v1.Prototype::getIndex).toArray());
        assertArrayEquals(s.mmdSquared(), r.getPrototypes().getPrototypesList().stream()
                .mapToDouble(dev.prism.api.v1.Prototype::getMmdSquared).toArray());
        assertArrayEquals(s.criticisms(), r.getPrototypes().getCriticismsList().stream()
                .mapToInt(dev.prism.api.v1.Criticism::getIndex).toArray());
        assertArrayEquals(s.witness(), r.getPrototypes().getCriticismsList().stream()
                .mapToDouble(dev.prism.api.v1.Criticism::getWitness).toArray());
    }

    @Test
    void prototypesOfTheInstancesWithAGivenBandwidth() {
        ExplainByExampleResponse r = examples().explainByExample(ExplainByExampleRequest.newBuilder()
                .setModel("iris").setInstances(queries()).setPrototypes(PrototypeOptions.newBuilder()
                        .setPrototypes(2).setCriticisms(1).setBandwidth(0.8)).build());
        double[][] instances = Arrays.stream(QUERIES).map(ExampleServiceTest::asFloat).toArray(double[][]::new);
        MmdCritic.Selection s = MmdCritic.select(ReferenceIndex.inputSpace(instances, new boolean[4], null,
                Cancellation.NEVER), null, 2, 1, 0.8, Cancellation.NEVER);
        assertEquals(ExampleSet.EXAMPLE_SET_INSTANCES, r.getPrototypes().getSet());
        assertEquals(0.8, r.getPrototypes().getBandwidth());
        assertArrayEquals(s.prototypes(), r.getPrototypes().getPrototypesList().stream()
                .mapToInt(dev.prism.api.v1.Prototype::getIndex).toArray());
        assertArrayEquals(s.criticisms(), r.getPrototypes().getCriticismsList().stream()
                .mapToInt(dev.prism.api.v1.Criticism::getIndex).toArray());
    }

    @Test
    void aModelWithoutAReferenceSetIsAFailedPrecondition() {
        var e = assertStatus(failure(() -> examples().explainByExample(ExplainByExampleRequest.newBuilder()
                .setModel("breast_cancer").setInstances(floats(1, new double[30])).setK(1).build())),
                Status.Code.FAILED_PRECONDITION, REFUSED);
        assertTrue(e.getStatus().getDescription().contains("reference_file"), e.getStatus()::getDescription);
    }

    @Test
    void aRegressionModelHasNoUnlikeNeighbour() {
        var e = assertStatus(failure(() -> examples().explainByExample(ExplainByExampleRequest.newBuilder()
                .setModel("diabetes").setInstances(ServerTestSupport.doubles(new long[] {1, 10}, diabetes[0]))
                .setUnlikeNeighbour(UnlikeNeighbourOptions.getDefaultInstance()).build())),
                Status.Code.FAILED_PRECONDITION, REFUSED);
        assertTrue(e.getStatus().getDescription().contains("not a classifier"), e.getStatus()::getDescription);
    }

    @Test
    void limitsAreFieldViolations() {
        var e = assertStatus(failure(() -> examples().explainByExample(ExplainByExampleRequest.newBuilder()
                .setModel("iris").setInstances(queries()).setK(1001)
                .setUnlikeNeighbour(UnlikeNeighbourOptions.newBuilder().setThreshold(-1))
                .setPrototypes(PrototypeOptions.newBuilder().setPrototypes(4).setCriticisms(1)).build())),
                Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS");
        assertTrue(assertViolation(e, "k").contains("[0, 1000]"));
        assertTrue(assertViolation(e, "unlike_neighbour.threshold").contains("at least 0"));
        assertTrue(assertViolation(e, "prototypes.criticisms").contains("[0, 0]"));
        var zero = assertStatus(failure(() -> examples().explainByExample(ExplainByExampleRequest.newBuilder()
                .setModel("iris").setInstances(queries()).setPrototypes(PrototypeOptions.newBuilder()
                        .setSet(ExampleSet.EXAMPLE_SET_REFERENCE).setPrototypes(0).setBandwidth(-2)).build())),
                Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS");
        assertTrue(assertViolation(zero, "prototypes.prototypes").contains("[1, 100]"));
        assertTrue(assertViolation(zero, "prototypes.bandwidth").contains("positive"));
        assertStatus(failure(() -> examples().explainByExample(ExplainByExampleRequest.newBuilder()
                .setModel("iris").setK(1).build())), Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR");
        assertThrows(io.grpc.StatusRuntimeException.class, () -> examples().explainByExample(
                ExplainByExampleRequest.newBuilder().setModel("nope").setInstances(queries()).build()));
    }
}
