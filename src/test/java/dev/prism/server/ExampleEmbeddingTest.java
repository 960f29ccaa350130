package dev.prism.server;

import static dev.prism.onnx.trees.OnnxTrees.FLOAT;
import static dev.prism.onnx.trees.OnnxTrees.floatTensor;
import static dev.prism.onnx.trees.OnnxTrees.node;
import static dev.prism.onnx.trees.OnnxTrees.value;
import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.prism.api.v1.ExampleServiceGrpc;
import dev.prism.api.v1.ExampleSet;
import dev.prism.api.v1.ExampleSpace;
import dev.prism.api.v1.ExplainByExampleRequest;
import dev.prism.api.v1.ExplainByExampleResponse;
import dev.prism.api.v1.GetModelRequest;
import dev.prism.api.v1.InstanceExamples;
import dev.prism.api.v1.PrototypeOptions;
import dev.prism.api.v1.RefusedModel;
import dev.prism.api.v1.ReloadModelsRequest;
import dev.prism.api.v1.ReloadModelsResponse;
import dev.prism.explain.examples.MmdCritic;
import dev.prism.explain.examples.ReferenceIndex;
import dev.prism.linalg.Cancellation;
import dev.prism.onnx.trees.OnnxTrees;
import dev.prism.tensor.RowBlock;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Explanations by example in a model's embedding space: a two-layer network whose hidden layer,
 * relu(x W1), is a second graph output. Neighbours are checked against a brute-force scan over
 * embeddings computed here from the weights.
 */
class ExampleEmbeddingTest {
    private static final double[][] W1 = {{0.5, -1, 0.25}, {1.5, 0.5, -0.75}, {-0.5, 2, 1}, {0.25, -0.25, 1.25}};
    private static final double[][] W2 = {{1, -1}, {-0.5, 0.75}, {2, -1.5}};
    private static final int REFERENCE_ROWS = 80;

    @TempDir
    static Path dir;
    private static ServerTestSupport.InProcess server;
    private static double[][] reference;

    @BeforeAll
    static void start() throws IOException {
        Random random = new Random(17);
        reference = new double[REFERENCE_ROWS][4];
        List<String> lines = new ArrayList<>(List.of("a,b,c,d"));
        for (double[] r : reference) {
            for (int j = 0; j < 4; j++) {
                r[j] = Math.round(random.nextGaussian() * 64) / 32.0;
            }
            lines.add(r[0] + "," + r[1] + "," + r[2] + "," + r[3]);
        }
        Path folder = Files.createDirectories(dir.resolve("repo/embedded"));
        Files.write(folder.resolve("model.onnx"), network().toByteArray());
        Files.write(folder.resolve("reference.csv"), lines);
        // No score_outputs: the embedding output is left out of the default scores.
        Files.writeString(folder.resolve("config.json"), "{\"referenceFile\": \"reference.csv\","
                + " \"embeddingOutput\": \"embedding\", \"outputKind\": \"OUTPUT_KIND_PROBABILITY\"}");
        server = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(dir.resolve("repo")));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    /** x [N,4] → MatMul W1 → Relu → "embedding" [N,3] → MatMul W2 → Softmax → "probabilities" [N,2]. */
    private static ModelProto network() {
        return OnnxTrees.model(3, List.of(
                        node("MatMul", "", "hidden", List.of("x", "w1"), List.of("pre")),
                        node("Relu", "", "relu", List.of("pre"), List.of("embedding")),
                        node("MatMul", "", "logits", List.of("embedding", "w2"), List.of("logits")),
                        node("Softmax", "", "softmax", List.of("logits"), List.of("probabilities"))),
                List.of(floatTensor("w1", new long[] {4, 3}, flat(W1)), floatTensor("w2", new long[] {3, 2}, flat(W2))),
                value("x", FLOAT, -1, 4), value("probabilities", FLOAT, -1, 2), value("embedding", FLOAT, -1, 3));
    }

    private static double[] flat(double[][] m) {
        return Arrays.stream(m).flatMapToDouble(Arrays::stream).toArray();
    }

    /** relu(x W1) in double; the model computes it in float32, so comparisons allow its rounding. */
    private static double[] embed(double[] x) {
        double[] h = new double[3];
        for (int k = 0; k < 3; k++) {
            for (int j = 0; j < 4; j++) {
                h[k] += x[j] * (float) W1[j][k];
            }
            h[k] = Math.max(0, h[k]);
        }
        return h;
    }

    private static double distance(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return Math.sqrt(s);
    }

    private static ExampleServiceGrpc.ExampleServiceBlockingStub examples() {
        return ExampleServiceGrpc.newBlockingStub(server.channel);
    }

    private static final double[][] QUERIES = {{1, 0.5, -0.25, 2}, {-1.5, 0.75, 1, 0}, {0.25, -2, 0.5, -1}};

    private static ExplainByExampleRequest.Builder request() {
        return ExplainByExampleRequest.newBuilder().setModel("embedded")
                .setInstances(floats(QUERIES.length, flat(QUERIES))).setSpace(ExampleSpace.EXAMPLE_SPACE_EMBEDDING);
    }

    @Test
    void theEmbeddingIsNoScoreOutput() {
        assertEquals(List.of("probabilities[0]", "probabilities[1]"), server.models()
                .getModel(GetModelRequest.newBuilder().setName("embedded").build()).getOutputNamesList());
    }

    @Test
    void neighboursInEmbeddingSpaceAreTheBruteForceOnes() {
        int k = 7;
        ExplainByExampleResponse r = examples().explainByExample(request().setK(k).build());
        for (int q = 0; q < QUERIES.length; q++) {
            InstanceExamples e = r.getInstances(q);
            double[] mine = embed(QUERIES[q]);
            double[] theirs = e.getEmbeddingList().stream().mapToDouble(Double::doubleValue).toArray();
            assertArrayEquals(mine, theirs, 1e-5, "the instance's embedding");
            double[] distances = Arrays.stream(reference).mapToDouble(row -> distance(embed(row), mine)).toArray();
            int[] order = IntStream.range(0, REFERENCE_ROWS).boxed()
                    .sorted(Comparator.<Integer>comparingDouble(i -> distances[i]).thenComparingInt(i -> i))
                    .mapToInt(Integer::intValue).limit(k).toArray();
            assertEquals(k, e.getNeighboursCount());
            for (int n = 0; n < k; n++) {
                assertEquals(order[n], e.getNeighbours(n).getRow(), "query " + q + ", neighbour " + n);
                assertEquals(distances[order[n]], e.getNeighbours(n).getDistance(), 1e-5);
                assertEquals(Arrays.stream(reference[order[n]]).boxed().toList(), e.getNeighbours(n).getValuesList());
            }
        }
    }

    /** The instances' prototypes in embedding space are MMD-critic's over their embeddings. */
    @Test
    void prototypesOfTheInstancesUseTheirEmbeddings() {
        ExplainByExampleResponse r = examples().explainByExample(request().setPrototypes(PrototypeOptions.newBuilder()
                .setSet(ExampleSet.EXAMPLE_SET_INSTANCES).setPrototypes(2).setCriticisms(1).setBandwidth(0.8)).build());
        double[] embeddings = r.getInstancesList().stream()
                .flatMapToDouble(e -> e.getEmbeddingList().stream().mapToDouble(Double::doubleValue)).toArray();
        MmdCritic.Selection expected = MmdCritic.select(ReferenceIndex.euclidean(new RowBlock(QUERIES.length, 3,
                embeddings), null, Cancellation.NEVER), null, 2, 1, 0.8, Cancellation.NEVER);
        assertEquals(Arrays.stream(expected.prototypes()).boxed().toList(), r.getPrototypes().getPrototypesList()
                .stream().map(p -> p.getIndex()).toList());
        assertEquals(Arrays.stream(expected.criticisms()).boxed().toList(), r.getPrototypes().getCriticismsList()
                .stream().map(c -> c.getIndex()).toList());
        assertEquals(expected.mmdSquared()[1], r.getPrototypes().getPrototypes(1).getMmdSquared(), 1e-12);
    }

    @Test
    void aModelWithoutAnEmbeddingOutputIsAFailedPrecondition(@TempDir Path own) throws Exception {
        Path repo = ServerTestSupport.repository(own, "iris");
        Files.writeString(repo.resolve("iris/config.json"), "{\"referenceFile\": \"background.csv\"}");
        try (ServerTestSupport.InProcess other = new ServerTestSupport.InProcess(
                ServerTestSupport.inProcessOptions(repo))) {
            assertStatus(failure(() -> ExampleServiceGrpc.newBlockingStub(other.channel).explainByExample(
                    ExplainByExampleRequest.newBuilder().setModel("iris").setK(1)
                            .setSpace(ExampleSpace.EXAMPLE_SPACE_EMBEDDING)
                            .setInstances(floats(1, 5.1, 3.5, 1.4, 0.2)).build())),
                    Status.Code.FAILED_PRECONDITION, "METHOD_UNSUPPORTED_FOR_MODEL");
        }
    }

    /** Folders whose embedding_output cannot serve are refused at load, saying why; the good one keeps serving. */
    @Test
    void aBadEmbeddingOutputIsALoadError() throws Exception {
        Path repo = dir.resolve("repo");
        String[][] bad = {
            {"unknown", "{\"referenceFile\": \"reference.csv\", \"embeddingOutput\": \"hidden\"}",
                "embedding_output 'hidden' is not an output of the graph"},
            {"score", "{\"referenceFile\": \"reference.csv\", \"embeddingOutput\": \"probabilities\","
                + " \"scoreOutputs\": [\"probabilities\"]}", "both a score output and the embedding_output"},
            {"noreference", "{\"embeddingOutput\": \"embedding\"}", "embedding_output is set but reference_file is not"},
        };
        for (String[] b : bad) {
            Path folder = Files.createDirectories(repo.resolve(b[0]));
            Files.write(folder.resolve("model.onnx"), network().toByteArray());
            Files.copy(repo.resolve("embedded/reference.csv"), folder.resolve("reference.csv"));
            Files.writeString(folder.resolve("config.json"), b[1]);
        }
        ReloadModelsResponse r = server.models().reloadModels(ReloadModelsRequest.getDefaultInstance());
        assertEquals(3, r.getRefusedCount(), r.toString());
        for (String[] b : bad) {
            RefusedModel refused = r.getRefusedList().stream().filter(m -> m.getName().equals(b[0])).findFirst()
                    .orElseThrow();
            assertTrue(refused.getReason().contains(b[2]), refused.getReason());
        }
        assertEquals(2, examples().explainByExample(request().setK(2).build()).getInstances(0).getNeighboursCount());
    }
}
