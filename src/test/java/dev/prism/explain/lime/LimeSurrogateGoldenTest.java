package dev.prism.explain.lime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.prism.linalg.Cancellation;
import dev.prism.tensor.RowBlock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The surrogate fit against lime 0.2.0.1's {@code LimeBase.explain_instance_with_data} on fixed
 * neighbourhoods (tools/make_lime_core_golden.py): chosen features, coefficients, intercept,
 * weighted R² and local prediction, for every feature selection.
 */
class LimeSurrogateGoldenTest {
    private static final double TOLERANCE = 1e-8;

    static Stream<Arguments> cases() throws IOException {
        JsonObject root = JsonParser.parseString(
                Files.readString(Path.of("src/test/resources/golden/lime_core.json"))).getAsJsonObject();
        List<Arguments> out = new ArrayList<>();
        for (JsonElement c : root.getAsJsonArray("cases")) {
            JsonObject o = c.getAsJsonObject();
            out.add(Arguments.of(o.get("name").getAsString(), o));
        }
        return out.stream();
    }

    private static double[][] matrix(JsonArray rows) {
        double[][] m = new double[rows.size()][];
        for (int i = 0; i < m.length; i++) {
            m[i] = vector(rows.get(i).getAsJsonArray());
        }
        return m;
    }

    private static double[] vector(JsonArray values) {
        double[] v = new double[values.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = values.get(i).getAsDouble();
        }
        return v;
    }

    private static LimeParams.FeatureSelection selection(String lime) {
        return switch (lime) {
            case "auto" -> LimeParams.FeatureSelection.AUTO;
            case "forward_selection" -> LimeParams.FeatureSelection.FORWARD;
            case "highest_weights" -> LimeParams.FeatureSelection.HIGHEST_WEIGHTS;
            case "none" -> LimeParams.FeatureSelection.NONE;
            default -> throw new IllegalArgumentException(lime);
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void surrogateMatchesLime(String name, JsonObject c) {
        double[][] data = matrix(c.getAsJsonArray("data"));
        double[][] labels = matrix(c.getAsJsonArray("labels"));
        double[] distances = vector(c.getAsJsonArray("distances"));
        double width = c.get("kernel_width").getAsDouble();
        int n = data.length;
        int m = data[0].length;
        int targets = labels[0].length;
        double[] flat = new double[n * m];
        double[] y = new double[n * targets];
        double[] weights = new double[n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(data[i], 0, flat, i * m, m);
            System.arraycopy(labels[i], 0, y, i * targets, targets);
            weights[i] = LimeSurrogate.kernel(distances[i], width);
        }
        LimeSurrogate surrogate = new LimeSurrogate(new RowBlock(n, m, flat), weights, y, targets);
        for (JsonElement e : c.getAsJsonArray("fits")) {
            JsonObject fit = e.getAsJsonObject();
            int label = fit.get("label").getAsInt();
            String how = fit.get("feature_selection").getAsString() + " " + fit.get("num_features") + " label " + label;
            LimeSurrogate.Fit got = surrogate.fit(label, fit.get("num_features").getAsInt(),
                    selection(fit.get("feature_selection").getAsString()), Cancellation.NEVER);
            double[] expected = new double[m];
            List<Integer> chosen = new ArrayList<>();
            for (JsonElement f : fit.getAsJsonArray("exp")) {
                JsonArray pair = f.getAsJsonArray();
                expected[pair.get(0).getAsInt()] = pair.get(1).getAsDouble();
                chosen.add(pair.get(0).getAsInt());
            }
            int[] expectedFeatures = chosen.stream().mapToInt(Integer::intValue).sorted().toArray();
            int[] gotFeatures = got.features().clone();
            Arrays.sort(gotFeatures);
            assertArrayEquals(expectedFeatures, gotFeatures, how);
            assertArrayEquals(expected, got.coefficients(), TOLERANCE, how);
            assertEquals(fit.get("intercept").getAsDouble(), got.intercept(), TOLERANCE, how);
            assertEquals(fit.get("score").getAsDouble(), got.score(), TOLERANCE, how);
            assertEquals(fit.get("local_pred").getAsDouble(), got.localPrediction(), TOLERANCE, how);
        }
    }
}
