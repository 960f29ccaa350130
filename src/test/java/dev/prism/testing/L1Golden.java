package dev.prism.testing;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the l1_reg golden files written by tools/make_l1_golden.py (scikit-learn 1.8.0, shap
 * 0.51.0) and rebuilds their regression problems.
 */
public final class L1Golden {
    private static final Path DIR = Path.of("src/test/resources/golden");

    private L1Golden() {}

    /** A problem's design and targets. */
    public record Problem(double[][] x, double[] y) {}

    /** The cases of one golden file. */
    public static List<JsonObject> cases(String file) {
        List<JsonObject> out = new ArrayList<>();
        for (JsonElement e : read(file).getAsJsonArray("cases")) {
            out.add(e.getAsJsonObject());
        }
        return out;
    }

    /** The problem a case names, built as the script built it. */
    public static Problem problem(JsonObject testCase) {
        JsonObject p = read("l1_problems.json").getAsJsonObject("problems")
                .getAsJsonObject(testCase.get("problem").getAsString());
        if (p.get("shape").getAsString().equals("dense")) {
            return new Problem(matrix(p.getAsJsonArray("x")), vector(p.getAsJsonArray("y")));
        }
        return augmented(masks(p.getAsJsonArray("masks")), vector(p.getAsJsonArray("kernel_weights")),
                vector(p.getAsJsonArray("ey_adj")), p.get("delta").getAsDouble());
    }

    /**
     * shap's augmented system, written out independently of L1Selection:
     * sqrt(k(M−|z|))·(z, y) stacked on sqrt(k|z|)·(z−1, y−Δ).
     */
    public static Problem augmented(List<boolean[]> masks, double[] k, double[] eyAdj, double delta) {
        int n = masks.size();
        int m = masks.get(0).length;
        double[][] x = new double[2 * n][m];
        double[] y = new double[2 * n];
        for (int r = 0; r < n; r++) {
            int size = 0;
            for (boolean b : masks.get(r)) {
                size += b ? 1 : 0;
            }
            double top = Math.sqrt(k[r] * (m - size));
            double bottom = Math.sqrt(k[r] * size);
            for (int i = 0; i < m; i++) {
                double z = masks.get(r)[i] ? 1.0 : 0.0;
                x[r][i] = top * z;
                x[n + r][i] = bottom * (z - 1.0);
            }
            y[r] = eyAdj[r] * top;
            y[n + r] = (eyAdj[r] - delta) * bottom;
        }
        return new Problem(x, y);
    }

    public static List<boolean[]> masks(JsonArray rows) {
        List<boolean[]> out = new ArrayList<>();
        for (JsonElement row : rows) {
            JsonArray r = row.getAsJsonArray();
            boolean[] z = new boolean[r.size()];
            for (int i = 0; i < z.length; i++) {
                z[i] = r.get(i).getAsInt() == 1;
            }
            out.add(z);
        }
        return out;
    }

    public static double[][] matrix(JsonArray rows) {
        double[][] m = new double[rows.size()][];
        for (int i = 0; i < m.length; i++) {
            m[i] = vector(rows.get(i).getAsJsonArray());
        }
        return m;
    }

    public static double[] vector(JsonArray values) {
        double[] v = new double[values.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = values.get(i).getAsDouble();
        }
        return v;
    }

    public static int[] indices(JsonArray values) {
        int[] v = new int[values.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = values.get(i).getAsInt();
        }
        return v;
    }

    private static JsonObject read(String file) {
        try {
            return JsonParser.parseString(Files.readString(DIR.resolve(file))).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
