package dev.prism.explain.evaluation;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** golden/evaluation_linear_net.json, written by tools/make_golden_evaluation.py. */
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
}
