package dev.prism.explain.evaluation;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * golden/evaluation_linear_net.json, written by tools/make_golden_evaluation.py, and what it shares
 * with golden/quantus_linear_net.json (tools/make_golden_quantus.py).
 */
final class EvaluationGolden {
    static final Path MODEL = Path.of("src/test/resources/models/linear_net");

    private EvaluationGolden() {}

    static JsonObject read() throws IOException {
        return JsonParser.parseString(Files.readString(Path.of("src/test/resources/golden/evaluation_linear_net.json")))
                .getAsJsonObject();
    }

    static double[][] matrix(JsonElement e) {
        return new Gson().fromJson(e, double[][].class);
    }

    static double[] vector(JsonElement e) {
        return new Gson().fromJson(e, double[].class);
    }

    /**
     * Asserts each of the golden's {@code sensitivity_max} cases: InputXGradient explaining linear_net
     * (x ⊙ w_k), the instance moved by each of {@code sensitivity_offsets}.
     *
     * @return the cases checked
     */
    static int assertSensitivityMax(JsonObject golden, double tolerance) {
        double[][] w = matrix(golden.getAsJsonObject("weights").get("w"));
        double[][] instances = matrix(golden.get("instances"));
        double[][] offsets = matrix(golden.get("sensitivity_offsets"));
        int cases = 0;
        for (JsonElement e : golden.getAsJsonArray("sensitivity_max")) {
            JsonObject c = e.getAsJsonObject();
            double[] x = instances[c.get("instance").getAsInt()];
            double[] wk = w[c.get("output").getAsInt()];
            SensitivityMax s = SensitivityMax.of(times(x, wk), Perturbations.added(x, offsets), batch -> {
                double[][] out = new double[batch.length][];
                for (int j = 0; j < batch.length; j++) {
                    out[j] = times(batch[j], wk);
                }
                return out;
            });
            org.junit.jupiter.api.Assertions.assertEquals(c.get("value").getAsDouble(), s.value(), tolerance,
                    c.toString());
            cases++;
        }
        return cases;
    }

    static double[] times(double[] x, double[] w) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * w[i];
        }
        return out;
    }
}
