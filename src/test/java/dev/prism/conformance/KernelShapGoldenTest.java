package dev.prism.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.prism.batch.BatchingSettings;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explanation;
import dev.prism.explain.Link;
import dev.prism.explain.shap.KernelShapExplainer;
import dev.prism.explain.shap.KernelShapParams;
import dev.prism.model.Background;
import dev.prism.onnx.OnnxModelLoader;
import dev.prism.repository.ModelRepository;
import dev.prism.tensor.RowBlock;
import dev.prism.testing.ExplainerRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Prism's KernelSHAP on the bundled ONNX models against shap's KernelExplainer (files made by
 * tools/make_golden.py with pinned versions, l1_reg=False, every coalition enumerated), and the
 * same explanations under different scheduler batch sizes.
 */
class KernelShapGoldenTest {
    private static ModelRepository repository;

    @BeforeAll
    static void load() throws IOException {
        repository = ModelRepository.load(Path.of("models"), new OnnxModelLoader(1), "cpu", s -> s);
    }

    @AfterAll
    static void close() {
        repository.close();
    }

    private static double[][] matrix(JsonArray rows) {
        double[][] m = new double[rows.size()][];
        for (int i = 0; i < m.length; i++) {
            JsonArray r = rows.get(i).getAsJsonArray();
            m[i] = new double[r.size()];
            for (int j = 0; j < r.size(); j++) {
                m[i][j] = r.get(j).getAsDouble();
            }
        }
        return m;
    }

    private static RowBlock block(double[][] rows) {
        int width = rows[0].length;
        double[] data = new double[rows.length * width];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, data, i * width, width);
        }
        return new RowBlock(rows.length, width, data);
    }

    private static List<Explanation> explain(ModelRepository.Entry entry, RowBlock x, Background bg, Link link,
                                             long nsamples, BatchingSettings batching) {
        int[] outputs = new int[entry.model().signature().outputCount()];
        for (int i = 0; i < outputs.length; i++) {
            outputs[i] = i;
        }
        return ExplainerRun.of(new KernelShapExplainer(), new ExplainInput(x, bg, outputs, link, 0),
                new KernelShapParams(nsamples)).on(entry.model()).batching(batching).run();
    }

    @ParameterizedTest
    @CsvSource({
        "kernel_shap_iris.json, 1e-6",
        "kernel_shap_diabetes.json, 1e-4",
        "kernel_shap_breast_cancer.json, 1e-6",
        "kernel_shap_breast_cancer_logit.json, 1e-5"})
    void matchesShapKernelExplainer(String file, double tolerance) throws IOException {
        JsonObject golden = JsonParser.parseString(
                Files.readString(Path.of("src/test/resources/golden", file))).getAsJsonObject();
        ModelRepository.Entry entry = repository.find(golden.get("model").getAsString()).orElseThrow();
        Background bg = golden.get("background").isJsonNull()
                ? entry.defaultBackground().orElseThrow()
                : Background.uniform(block(matrix(golden.getAsJsonArray("background"))));
        Link link = golden.get("link").getAsString().equals("logit") ? Link.LOGIT : Link.IDENTITY;
        double[][] instances = matrix(golden.getAsJsonArray("instances"));
        List<Explanation> es = explain(entry, block(instances), bg, link, 0, BatchingSettings.DEFAULT.withWorkers(2));

        JsonArray expectedValue = golden.getAsJsonArray("expected_value");
        JsonArray shapValues = golden.getAsJsonArray("shap_values");
        int outputs = expectedValue.size();
        assertEquals(instances.length * outputs, es.size());
        for (int i = 0; i < instances.length; i++) {
            double[][] phi = matrix(shapValues.get(i).getAsJsonArray());
            JsonArray modelOutput = golden.getAsJsonArray("model_output").get(i).getAsJsonArray();
            for (int d = 0; d < outputs; d++) {
                Explanation e = es.get(i * outputs + d);
                String where = file + " instance " + i + " output " + d;
                assertEquals(expectedValue.get(d).getAsDouble(), e.baseValue(), tolerance, where);
                assertEquals(modelOutput.get(d).getAsDouble(), e.modelOutput(), tolerance, where);
                assertArrayEquals(phi[d], e.attributions(), tolerance, where);
                assertTrue(e.diagnostics().exact(), where);
                assertTrue(e.efficiencyGap() < 1e-12, where);
            }
        }
        for (JsonElement name : golden.getAsJsonArray("output_names")) {
            assertTrue(entry.model().signature().outputNames().contains(name.getAsString()));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"iris", "diabetes", "breast_cancer"})
    void attributionsAreIdenticalForEveryBatchSize(String model) {
        ModelRepository.Entry entry = repository.find(model).orElseThrow();
        Background full = entry.defaultBackground().orElseThrow();
        Background bg = Background.uniform(full.rows().slice(0, 20));
        RowBlock x = full.rows().slice(40, 2);
        List<Explanation> reference = null;
        for (int rows : new int[] {1, 7, 4096}) {
            List<Explanation> es = explain(entry, x, bg, Link.IDENTITY, 60,
                    BatchingSettings.DEFAULT.withMaxBatchRows(rows).withWorkers(2));
            if (reference == null) {
                reference = es;
                continue;
            }
            for (int i = 0; i < es.size(); i++) {
                assertArrayEquals(reference.get(i).attributions(), es.get(i).attributions(), 0.0,
                        model + " max_batch_rows " + rows);
            }
        }
    }
}
