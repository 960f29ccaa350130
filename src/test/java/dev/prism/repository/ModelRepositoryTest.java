package dev.prism.repository;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.batch.BatchingSettings;
import dev.prism.model.Background;
import dev.prism.model.Model;
import dev.prism.model.ModelSignature;
import dev.prism.model.OutputKind;
import dev.prism.model.trees.TreeEnsemble;
import dev.prism.onnx.OnnxModelLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRepositoryTest {
    private static final Path TEST_MODELS = Path.of("src/test/resources/models");

    private static ModelRepository load(Path root) throws IOException {
        return ModelRepository.load(root, new OnnxModelLoader(1), "cpu", s -> s);
    }

    @Test
    void bundledModelsLoadWithTheirConfigAndBackground() throws IOException {
        try (ModelRepository repo = load(Path.of("models"))) {
            assertEquals(List.of("breast_cancer", "breast_cancer_xgb", "diabetes", "digits", "digits_cnn", "iris"),
                    repo.entries().stream().map(ModelRepository.Entry::name).toList());
            ModelSignature iris = repo.find("iris").orElseThrow().model().signature();
            assertEquals(List.of("sepal_length", "sepal_width", "petal_length", "petal_width"), iris.featureNames());
            assertEquals(List.of("setosa", "versicolor", "virginica"), iris.outputNames());
            assertEquals("probabilities", iris.scoreOutputs().get(0).name());
            assertEquals(OutputKind.PROBABILITY, iris.outputKind());
            for (ModelRepository.Entry e : repo.entries()) {
                int rows = e.defaultBackground().orElseThrow().size();
                assertTrue(rows > 0 && rows <= 100, e.name() + " background rows " + rows);
            }
            assertEquals(30, repo.find("breast_cancer").orElseThrow().model().signature().featureCount());
            assertEquals(List.of("progression"), repo.find("diabetes").orElseThrow().model().signature().outputNames());
        }
    }

    @Test
    void categoricalFeaturesAreResolvedByNameAndUnknownNamesRefused(@TempDir Path root) throws IOException {
        try (ModelRepository repo = load(TEST_MODELS)) {
            ModelRepository.Entry e = repo.find("diabetes_categorical").orElseThrow();
            assertEquals("sex", e.model().signature().featureNames().get(1));
            assertEquals(List.of(1), java.util.Arrays.stream(e.categoricalFeatures()).boxed().toList());
        }
        Path folder = root.resolve("lin");
        copy(TEST_MODELS.resolve("linear"), folder, "model.onnx");
        Files.writeString(folder.resolve("config.pbtxt"), "categorical_features: [\"nope\"]\n");
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> load(root));
        assertTrue(error.getMessage().contains("'nope'"), error.getMessage());
    }

    @Test
    void aPlainModelFileServesWithGeneratedNamesAndNoBackground(@TempDir Path root) throws IOException {
        copy(TEST_MODELS.resolve("linear"), root.resolve("plain"), "model.onnx");
        try (ModelRepository repo = load(root)) {
            ModelRepository.Entry e = repo.find("plain").orElseThrow();
            assertEquals(List.of("f0", "f1", "f2", "f3", "f4"), e.model().signature().featureNames());
            assertEquals(List.of("y"), e.model().signature().outputNames());
            assertTrue(e.defaultBackground().isEmpty());
            assertEquals(BatchingSettings.DEFAULT, e.batching());
        }
    }

    @Test
    void textConfigIsReadAndBatchingDefaultsFillTheGaps(@TempDir Path root) throws IOException {
        Path folder = root.resolve("lin");
        copy(TEST_MODELS.resolve("linear"), folder, "model.onnx");
        Files.writeString(folder.resolve("config.pbtxt"), """
                feature_names: ["a", "b", "c", "d", "e"]
                output_names: ["score"]
                output_kind: OUTPUT_KIND_REGRESSION
                background_file: "bg.csv"
                batching { max_batch_rows: 7 cross_request_batching: false }
                """);
        Files.writeString(folder.resolve("bg.csv"), "1,2,3,4,5\n6,7,8,9,10\n");
        try (ModelRepository repo = load(root)) {
            ModelRepository.Entry e = repo.find("lin").orElseThrow();
            assertEquals(List.of("a", "b", "c", "d", "e"), e.model().signature().featureNames());
            assertEquals(OutputKind.REGRESSION, e.model().signature().outputKind());
            assertEquals(2, e.defaultBackground().orElseThrow().size());
            assertEquals(7, e.batching().maxBatchRows());
            assertEquals(false, e.batching().crossRequestBatching());
            assertEquals(BatchingSettings.DEFAULT.maxQueueRows(), e.batching().maxQueueRows());
        }
    }

    @Test
    void aBadModelFolderStopsLoadingWithAMessageNamingIt(@TempDir Path root) throws IOException {
        Path folder = root.resolve("wrong");
        copy(TEST_MODELS.resolve("linear"), folder, "model.onnx");
        Files.writeString(folder.resolve("config.json"), "{\"featureNames\": [\"only_one\"]}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load(root));
        assertTrue(e.getMessage().contains("model 'wrong'") && e.getMessage().contains("1 feature names"),
                e.getMessage());

        Files.writeString(folder.resolve("config.json"), "{\"featureNames\": ");
        e = assertThrows(IllegalArgumentException.class, () -> load(root));
        assertTrue(e.getMessage().contains("cannot parse"), e.getMessage());

        Files.writeString(folder.resolve("config.json"), "{}");
        Files.writeString(folder.resolve("background.csv"), "1,2,3\n");
        e = assertThrows(IllegalArgumentException.class, () -> load(root));
        assertTrue(e.getMessage().contains("3 values, the model input has 5"), e.getMessage());

        Files.writeString(folder.resolve("background.csv"), "1,2,3,4,NaN\n");
        e = assertThrows(IllegalArgumentException.class, () -> load(root));
        assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
    }

    @Test
    void theConfiguredBaselineIsOneValuePerElementOrOneForAll(@TempDir Path root) throws IOException {
        Path folder = root.resolve("lin");
        copy(TEST_MODELS.resolve("linear"), folder, "model.onnx");
        try (ModelRepository repo = load(root)) {
            assertTrue(repo.find("lin").orElseThrow().defaultBaseline().isEmpty());
        }
        Files.writeString(folder.resolve("config.pbtxt"), "baseline: [0.25]\n");
        try (ModelRepository repo = load(root)) {
            assertArrayEquals(new double[] {0.25, 0.25, 0.25, 0.25, 0.25},
                    repo.find("lin").orElseThrow().defaultBaseline().orElseThrow());
        }
        Files.writeString(folder.resolve("config.pbtxt"), "baseline: [1, 2, 3, 4, 5]\n");
        try (ModelRepository repo = load(root)) {
            assertArrayEquals(new double[] {1, 2, 3, 4, 5}, repo.find("lin").orElseThrow().defaultBaseline().orElseThrow());
        }
        Files.writeString(folder.resolve("config.pbtxt"), "baseline: [1, 2]\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load(root));
        assertTrue(e.getMessage().contains("model 'lin'") && e.getMessage().contains("baseline has 2 values")
                && e.getMessage().contains("5 elements"), e.getMessage());
        Files.writeString(folder.resolve("config.pbtxt"), "baseline: [inf]\n");
        e = assertThrows(IllegalArgumentException.class, () -> load(root));
        assertTrue(e.getMessage().contains("must be finite"), e.getMessage());
    }

    @Test
    void anEmptyRepositoryIsAnError(@TempDir Path root) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load(root));
        assertTrue(e.getMessage().contains("has no <name>/model.onnx"), e.getMessage());
    }

    @Test
    void cudaWithoutTheGpuRuntimeFailsWithAClearMessage(@TempDir Path root) throws IOException {
        copy(TEST_MODELS.resolve("linear"), root.resolve("lin"), "model.onnx");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelRepository.load(root, new OnnxModelLoader(1), "cuda:0", s -> s));
        assertTrue(e.getMessage().contains("CUDA execution provider is not available"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ModelRepository.load(root, new OnnxModelLoader(1), "tpu", s -> s));
        assertTrue(e.getMessage().contains("not one of cpu, cuda, cuda:N"), e.getMessage());
    }

    @Test
    void treeModelsCarryTheirEnsembleAndOthersSayTheyHaveNone() throws IOException {
        try (ModelRepository repo = load(Path.of("models"))) {
            TreeEnsemble iris = repo.find("iris").orElseThrow().model().trees().orElseThrow();
            assertEquals(25, iris.treeCount());
            assertEquals(3, iris.targetCount());
            assertTrue(iris.maxDepth() >= 1 && iris.maxDepth() <= 4, "max_depth 4: " + iris.maxDepth());
            TreeEnsemble diabetes = repo.find("diabetes").orElseThrow().model().trees().orElseThrow();
            assertEquals(50, diabetes.treeCount());
            assertEquals(3, diabetes.maxDepth());
            // XGBoost's binary classifier, as onnxmltools writes it: one margin, 100 trees of depth 5 at most.
            TreeEnsemble xgb = repo.find("breast_cancer_xgb").orElseThrow().model().trees().orElseThrow();
            assertEquals(100, xgb.treeCount());
            assertEquals(5, xgb.maxDepth());
            Model mlp = repo.find("breast_cancer").orElseThrow().model();
            assertEquals(Optional.empty(), mlp.trees());
            assertEquals(Optional.of(Model.NOT_A_TREE_ENSEMBLE), mlp.treesUnsupported());
        }
    }

    @Test
    void theLoaderIsHandedTheBackgroundTheEntryKeepsReadOnce(@TempDir Path root) throws IOException {
        Path folder = root.resolve("iris");
        for (String file : List.of("model.onnx", "background.csv", "config.json")) {
            copy(Path.of("models/iris"), folder, file);
        }
        OnnxModelLoader onnx = new OnnxModelLoader(1);
        List<Optional<Background>> handed = new ArrayList<>();
        ModelLoader recording = new ModelLoader() {
            @Override
            public Model load(Path modelFile, ModelSettings settings, String device) {
                throw new AssertionError("the repository hands the background over");
            }

            @Override
            public Model load(Path modelFile, ModelSettings settings, String device, DefaultBackground background) {
                return onnx.load(modelFile, settings, device, signature -> {
                    Optional<Background> rows = background.read(signature);
                    handed.add(rows);
                    return rows;
                });
            }
        };
        try (ModelRepository repo = ModelRepository.load(root, recording, "cpu", s -> s)) {
            ModelRepository.Entry e = repo.find("iris").orElseThrow();
            assertEquals(1, handed.size());
            assertSame(e.defaultBackground().orElseThrow(), handed.get(0).orElseThrow());
            assertEquals(100, e.defaultBackground().orElseThrow().size());
            assertTrue(e.model().trees().isPresent());
        }
    }

    @Test
    void theReferenceSetIsReadWithItsLabelColumnWithinItsRowLimit(@TempDir Path root) throws IOException {
        Path folder = root.resolve("lin");
        copy(TEST_MODELS.resolve("linear"), folder, "model.onnx");
        Files.writeString(folder.resolve("config.pbtxt"),
                "reference_file: \"cases/reference.csv\"\nreference_label_column: \"truth\"\n");
        Files.createDirectories(folder.resolve("cases"));
        Files.writeString(folder.resolve("cases/reference.csv"), "a,b,truth,c,d,e\n1,2,7,3,4,5\n\n6,7,0,8,9,10\n");
        try (ModelRepository repo = load(root)) {
            ReferenceRows r = repo.find("lin").orElseThrow().referenceSet().orElseThrow();
            assertEquals(2, r.rows().rows());
            assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, r.rows().data());
            assertArrayEquals(new double[] {7, 0}, r.labels());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelRepository.load(root, new OnnxModelLoader(1), "cpu", s -> s.withMaxReferenceRows(1)));
        assertTrue(e.getMessage().contains("model 'lin'") && e.getMessage().contains("more than 1 rows")
                && e.getMessage().contains("--max-reference-rows"), e.getMessage());

        Files.writeString(folder.resolve("cases/reference.csv"), "a,b,label,c,d,e\n1,2,7,3,4,5\n");
        e = assertThrows(IllegalArgumentException.class, () -> load(root));
        assertTrue(e.getMessage().contains("no column 'truth' (reference_label_column)"), e.getMessage());

        Files.writeString(folder.resolve("cases/reference.csv"), "1,2,7,3,4,5\n");
        e = assertThrows(IllegalArgumentException.class, () -> load(root));
        assertTrue(e.getMessage().contains("has no header line"), e.getMessage());

        Files.writeString(folder.resolve("cases/reference.csv"), "a,b,truth,c,d,e\n1,2,7,3,4\n");
        e = assertThrows(IllegalArgumentException.class, () -> load(root));
        assertTrue(e.getMessage().contains("line 2: 5 values, expected 6 (5 features and the label column)"),
                e.getMessage());

        Files.writeString(folder.resolve("config.pbtxt"), "reference_file: \"../reference.csv\"\n");
        e = assertThrows(IllegalArgumentException.class, () -> load(root));
        assertTrue(e.getMessage().contains("reference_file '../reference.csv' must be a path inside the model folder"),
                e.getMessage());

        Path outside = Files.writeString(Files.createTempFile("reference", ".csv"), "1,2,3,4,5\n");
        try {
            Files.createSymbolicLink(folder.resolve("linked.csv"), outside);
            Files.writeString(folder.resolve("config.pbtxt"), "reference_file: \"linked.csv\"\n");
            e = assertThrows(IllegalArgumentException.class, () -> load(root));
            assertTrue(e.getMessage().contains("outside the model repository"), e.getMessage());
        } finally {
            Files.delete(outside);
        }

        Files.writeString(folder.resolve("config.pbtxt"), "reference_label_column: \"truth\"\n");
        e = assertThrows(IllegalArgumentException.class, () -> load(root));
        assertTrue(e.getMessage().contains("reference_label_column is set but reference_file is not"),
                e.getMessage());
    }

    private static void copy(Path from, Path to, String file) throws IOException {
        Files.createDirectories(to);
        Files.copy(from.resolve(file), to.resolve(file));
    }
}
