package dev.prism.explain.lime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explanation;
import dev.prism.explain.Link;
import dev.prism.model.Background;
import dev.prism.tensor.RowBlock;
import dev.prism.testing.ExplainerRun;
import dev.prism.testing.FunctionModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tabular LIME against lime 0.2.0.1's LimeTabularExplainer (tools/make_lime_core_golden.py): the
 * discretizers' bin edges and bins, the scaler, and the explanations of lime's own sampled
 * neighbourhood, given to the explainer as an explicit neighbourhood and labelled by the same
 * model.
 */
class LimeTabularGoldenTest {
    private static final double TOLERANCE = 1e-8;
    private static JsonObject root;
    private static RowBlock training;
    private static double[] instance;
    private static int[] categorical;

    private static JsonObject read() throws IOException {
        return JsonParser.parseString(
                Files.readString(Path.of("src/test/resources/golden/lime_core_tabular.json"))).getAsJsonObject();
    }

    @BeforeAll
    static void load() throws IOException {
        root = read();
        training = block(root.getAsJsonArray("training"));
        instance = vector(root.getAsJsonArray("instance"));
        categorical = root.getAsJsonArray("categorical").asList().stream().mapToInt(JsonElement::getAsInt).toArray();
    }

    static Stream<Arguments> cases() throws IOException {
        return cases(false);
    }

    static Stream<Arguments> discretisedCases() throws IOException {
        return cases(true);
    }

    private static Stream<Arguments> cases(boolean discretisedOnly) throws IOException {
        List<Arguments> out = new ArrayList<>();
        for (JsonElement c : read().getAsJsonArray("cases")) {
            JsonObject o = c.getAsJsonObject();
            if (discretisedOnly && !o.has("edges")) {
                continue;
            }
            String name = (o.get("discretizer").isJsonNull() ? "continuous" : o.get("discretizer").getAsString())
                    + (o.get("sample_around_instance").getAsBoolean() ? " around instance" : "");
            out.add(Arguments.of(name, o));
        }
        return out.stream();
    }

    private static RowBlock block(JsonArray rows) {
        int width = rows.get(0).getAsJsonArray().size();
        double[] data = new double[rows.size() * width];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(vector(rows.get(i).getAsJsonArray()), 0, data, i * width, width);
        }
        return new RowBlock(rows.size(), width, data);
    }

    private static double[] vector(JsonArray values) {
        double[] v = new double[values.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = values.get(i).getAsDouble();
        }
        return v;
    }

    private static LimeParams.Discretizer discretizer(JsonObject c) {
        if (c.get("discretizer").isJsonNull()) {
            return LimeParams.Discretizer.NONE;
        }
        return c.get("discretizer").getAsString().equals("decile") ? LimeParams.Discretizer.DECILE
                : LimeParams.Discretizer.QUARTILE;
    }

    private static LimeParams.FeatureSelection selection(String lime) {
        return switch (lime) {
            case "auto" -> LimeParams.FeatureSelection.AUTO;
            case "forward_selection" -> LimeParams.FeatureSelection.FORWARD;
            case "highest_weights" -> LimeParams.FeatureSelection.HIGHEST_WEIGHTS;
            default -> LimeParams.FeatureSelection.NONE;
        };
    }

    private static double[] column(RowBlock rows, int j) {
        double[] c = new double[rows.rows()];
        for (int i = 0; i < c.length; i++) {
            c[i] = rows.get(i, j);
        }
        return c;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("discretisedCases")
    void binEdgesAndBinsAreLimes(String name, JsonObject c) {
        double[] percents = discretizer(c) == LimeParams.Discretizer.DECILE
                ? PercentileDiscretizer.DECILES : PercentileDiscretizer.QUARTILES;
        RowBlock bins = block(c.getAsJsonArray("training_bins"));
        for (var e : c.getAsJsonObject("edges").entrySet()) {
            int j = Integer.parseInt(e.getKey());
            PercentileDiscretizer d = PercentileDiscretizer.fit(column(training, j), percents);
            assertArrayEquals(vector(e.getValue().getAsJsonArray()), d.edges(), 0.0, "column " + j);
            for (int i = 0; i < training.rows(); i++) {
                assertEquals(bins.get(i, j), d.bin(training.get(i, j)), "row " + i + " column " + j);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void scalingIsLimes(String name, JsonObject c) {
        TabularSampler sampler = TabularSampler.fit(training, categorical, discretizer(c));
        double[] mean = vector(c.getAsJsonArray("scaler_mean"));
        double[] scale = vector(c.getAsJsonArray("scaler_scale"));
        double[] row = training.row(3);
        double[] scaled = sampler.scale(row);
        for (int j = 0; j < row.length; j++) {
            double expected = (row[j] - mean[j]) / scale[j];
            assertEquals(expected, scaled[j], 1e-12 * Math.max(1, Math.abs(expected)), "column " + j);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void explanationsOfLimesNeighbourhoodAreLimes(String name, JsonObject c) {
        double[] w = vector(root.getAsJsonObject("model").getAsJsonArray("weights"));
        double bias = root.getAsJsonObject("model").get("bias").getAsDouble();
        FunctionModel model = new FunctionModel(w.length, 2, x -> {
            double z = bias;
            for (int j = 0; j < w.length; j++) {
                z += x[j] * w[j];
            }
            double p = 1 / (1 + Math.exp(-z));
            return new double[] {1 - p, p};
        });
        LimeParams params = new LimeParams(0, c.get("num_features").getAsInt(),
                selection(c.get("feature_selection").getAsString()), discretizer(c), 0,
                c.get("sample_around_instance").getAsBoolean(), LimeParams.MaskSampling.AUTO,
                new LimeParams.Neighbourhood(block(c.getAsJsonArray("data")), block(c.getAsJsonArray("inverse"))),
                categorical);
        ExplainInput input = new ExplainInput(new RowBlock(1, instance.length, instance.clone()),
                Background.uniform(training), new int[] {0, 1}, Link.IDENTITY, 0);
        List<Explanation> es = ExplainerRun.of(new LimeExplainer(), input, params).on(model).run();
        for (JsonElement f : c.getAsJsonArray("fits")) {
            JsonObject fit = f.getAsJsonObject();
            int label = fit.get("label").getAsInt();
            Explanation e = es.get(label);
            double[] expected = new double[instance.length];
            for (JsonElement pair : fit.getAsJsonArray("exp")) {
                expected[pair.getAsJsonArray().get(0).getAsInt()] = pair.getAsJsonArray().get(1).getAsDouble();
            }
            String how = "label " + label;
            assertArrayEquals(expected, e.attributions(), TOLERANCE, how);
            assertEquals(fit.get("intercept").getAsDouble(), e.baseValue(), TOLERANCE, how);
            assertEquals(fit.get("intercept").getAsDouble(), e.diagnostics().surrogate().intercept(), TOLERANCE, how);
            assertEquals(fit.get("score").getAsDouble(), e.diagnostics().surrogate().score(), TOLERANCE, how);
            assertEquals(fit.get("local_pred").getAsDouble(), e.diagnostics().surrogate().localPrediction(),
                    TOLERANCE, how);
            assertEquals(c.getAsJsonArray("data").size(), e.diagnostics().modelEvaluations());
        }
    }
}
