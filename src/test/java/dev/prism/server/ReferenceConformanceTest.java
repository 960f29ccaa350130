package dev.prism.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.prism.api.v1.ExactShapleyParams;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.Explanation;
import dev.prism.api.v1.KernelShapParams;
import dev.prism.api.v1.L1Reg;
import dev.prism.api.v1.LimeParams;
import dev.prism.api.v1.Link;
import dev.prism.api.v1.Neighbourhood;
import dev.prism.api.v1.Tensor;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Prism over gRPC against files the reference libraries produced (tools/make_golden_shap.py and
 * tools/make_golden_lime.py, pinned shap 0.51.0, lime 0.2.0.1, onnxruntime 1.29.0): exact Shapley
 * values against shap's ExactExplainer; KernelSHAP given shap's own coalitions and weights (the
 * documented test mode), with and without l1_reg; LIME given lime's own neighbourhood.
 */
class ReferenceConformanceTest {
    @TempDir
    static Path dir;
    static ServerTestSupport.InProcess prism;

    @BeforeAll
    static void start() throws Exception {
        prism = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(ServerTestSupport.repository(
                dir, "iris", "diabetes", "breast_cancer", "diabetes_categorical")));
    }

    @AfterAll
    static void stop() throws Exception {
        prism.close();
    }

    private static JsonObject golden(String name) {
        return JsonParser.parseString(ServerTestSupport.resource("/golden/" + name)).getAsJsonObject();
    }

    private static double[] vector(JsonArray a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).getAsDouble();
        }
        return v;
    }

    private static double[] flatten(JsonArray rows) {
        int width = rows.get(0).getAsJsonArray().size();
        double[] v = new double[rows.size() * width];
        for (int r = 0; r < rows.size(); r++) {
            System.arraycopy(vector(rows.get(r).getAsJsonArray()), 0, v, r * width, width);
        }
        return v;
    }

    /** Values as float32, the model's input type (the files hold exact float32 values). */
    private static Tensor floats(JsonArray rows) {
        return ServerTestSupport.floats(rows.size(), flatten(rows));
    }

    private static Tensor doubles(JsonArray rows) {
        int width = rows.get(0).getAsJsonArray().size();
        return ServerTestSupport.doubles(new long[] {rows.size(), width}, flatten(rows));
    }

    @ParameterizedTest
    @ValueSource(strings = {"iris", "diabetes"})
    void exactShapleyEqualsShapsExactExplainer(String model) {
        JsonObject g = golden("exact_shapley_" + model + ".json");
        ExplainResponse r = prism.explain().explain(ExplainRequest.newBuilder().setModel(model)
                .addInputs(floats(g.getAsJsonArray("instances")))
                .setBackground(floats(g.getAsJsonArray("background")))
                .setExactShapley(ExactShapleyParams.getDefaultInstance())
                .build());
        JsonArray values = g.getAsJsonArray("values");
        int outputs = g.getAsJsonArray("output_names").size();
        // Diabetes predicts values near 150 in float32: compare relative to the output's size.
        double tolerance = model.equals("diabetes") ? 1e-4 : 1e-6;
        assertEquals(values.size() * outputs, r.getExplanationsCount());
        for (Explanation e : r.getExplanationsList()) {
            int k = g.getAsJsonArray("output_names").asList().stream().map(JsonElement::getAsString).toList()
                    .indexOf(e.getOutput());
            double[] expected = vector(values.get(e.getInstance()).getAsJsonArray().get(k).getAsJsonArray());
            for (int f = 0; f < expected.length; f++) {
                assertEquals(expected[f], e.getAttributions(f), tolerance, model + " instance " + e.getInstance()
                        + " output " + k + " feature " + f);
            }
            assertEquals(g.getAsJsonArray("base_values").get(e.getInstance()).getAsJsonArray().get(k).getAsDouble(),
                    e.getBaseValue(), tolerance);
            assertTrue(e.getDiagnostics().getExact());
            assertEquals(0, e.getStandardErrorsCount());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3})
    void kernelShapGivenShapsCoalitionsEqualsShap(int caseIndex) {
        JsonObject g = golden("kernel_shap_coalitions_breast_cancer.json");
        JsonObject c = g.getAsJsonArray("cases").get(caseIndex).getAsJsonObject();
        Link link = c.get("link").getAsString().equals("logit") ? Link.LINK_LOGIT : Link.LINK_IDENTITY;
        // Float32 model outputs; the logit link stretches their rounding near 0 and 1.
        double tolerance = link == Link.LINK_LOGIT ? 1e-5 : 1e-6;
        JsonArray instances = g.getAsJsonArray("instances");
        for (int n = 0; n < instances.size(); n++) {
            JsonObject inst = instances.get(n).getAsJsonObject();
            KernelShapParams.Builder params = KernelShapParams.newBuilder()
                    .setCoalitions(doubles(inst.getAsJsonArray("mask_matrix")));
            for (double w : vector(inst.getAsJsonArray("kernel_weights"))) {
                params.addCoalitionWeights(w);
            }
            JsonElement l1 = c.get("l1_reg");
            if (l1.isJsonPrimitive() && l1.getAsJsonPrimitive().isString()) {
                String rule = l1.getAsString();
                params.setL1Reg(rule.equals("aic") ? L1Reg.newBuilder().setCriterion(L1Reg.Criterion.CRITERION_AIC)
                        : L1Reg.newBuilder().setNumFeatures(Integer.parseInt(
                                rule.substring("num_features(".length(), rule.length() - 1))));
            }
            ExplainResponse r = prism.explain().explain(ExplainRequest.newBuilder().setModel("breast_cancer")
                    .addInputs(ServerTestSupport.floats(1, vector(inst.getAsJsonArray("instance"))))
                    .setLink(link)
                    .setKernelShap(params)
                    .build());
            JsonObject result = c.getAsJsonArray("results").get(n).getAsJsonObject();
            JsonArray shapValues = result.getAsJsonArray("shap_values");
            for (int k = 0; k < shapValues.size(); k++) {
                Explanation e = r.getExplanations(k);
                double[] expected = vector(shapValues.get(k).getAsJsonArray());
                for (int f = 0; f < expected.length; f++) {
                    assertEquals(expected[f], e.getAttributions(f), tolerance,
                            "case " + caseIndex + " instance " + n + " output " + k + " feature " + f);
                }
                if (!result.get("selected_features").isJsonNull()) {
                    Set<Integer> selected = new HashSet<>();
                    result.getAsJsonArray("selected_features").get(k).getAsJsonArray()
                            .forEach(j -> selected.add(j.getAsInt()));
                    for (int f = 0; f < expected.length; f++) {
                        assertEquals(selected.contains(f), e.getAttributions(f) != 0,
                                "selection of feature " + f + " in case " + caseIndex);
                    }
                }
                assertEquals(c.getAsJsonArray("expected_value").get(k).getAsDouble(), e.getBaseValue(), tolerance);
                assertTrue(e.getDiagnostics().getEfficiencyGap() < 1e-9);
            }
        }
    }

    /**
     * 1e-8, relative for values above 1: diabetes' regression coefficients are near 30 and its
     * outputs near 150, where the last bits of two summation orders differ by a few 1e-8.
     */
    private static double lime(double expected) {
        return 1e-8 * Math.max(1, Math.abs(expected));
    }

    @ParameterizedTest
    @ValueSource(strings = {"iris_quartile", "iris_decile", "iris_continuous", "diabetes_quartile",
        "diabetes_decile", "diabetes_continuous", "breast_cancer_quartile", "breast_cancer_decile",
        "breast_cancer_continuous"})
    void limeGivenLimesNeighbourhoodEqualsLime(String name) {
        JsonObject g = golden("lime_" + name + ".json");
        Neighbourhood neighbourhood = Neighbourhood.newBuilder()
                .setData(doubles(g.getAsJsonArray("data")))
                .setInputs(floats(g.getAsJsonArray("inverse")))
                .build();
        for (JsonElement element : g.getAsJsonArray("explanations")) {
            JsonObject x = element.getAsJsonObject();
            ExplainResponse r = prism.explain().explain(ExplainRequest.newBuilder()
                    .setModel(g.get("prism_model").getAsString())
                    .addInputs(ServerTestSupport.floats(1, vector(g.getAsJsonArray("instance"))))
                    .addOutputs(x.get("output").getAsString())
                    .setLime(LimeParams.newBuilder()
                            .setNumFeatures(x.get("num_features").getAsInt())
                            .setFeatureSelection(LimeParams.FeatureSelection.valueOf(
                                    x.get("proto_feature_selection").getAsString()))
                            .setDiscretizer(LimeParams.Discretizer.valueOf(g.get("proto_discretizer").getAsString()))
                            .setNeighbourhood(neighbourhood))
                    .build());
            Explanation e = r.getExplanations(0);
            String what = name + " " + x.get("output").getAsString() + " " + x.get("feature_selection").getAsString()
                    + "/" + x.get("num_features").getAsInt();
            double[] expected = new double[e.getAttributionsCount()];
            for (JsonElement pair : x.getAsJsonArray("coefficients")) {
                expected[pair.getAsJsonArray().get(0).getAsInt()] = pair.getAsJsonArray().get(1).getAsDouble();
            }
            for (int f = 0; f < expected.length; f++) {
                assertEquals(expected[f], e.getAttributions(f), lime(expected[f]), what + " feature " + f);
            }
            double intercept = x.get("intercept").getAsDouble();
            assertEquals(intercept, e.getBaseValue(), lime(intercept), what + " intercept");
            assertEquals(intercept, e.getDiagnostics().getSurrogate().getIntercept(), lime(intercept));
            assertEquals(x.get("score").getAsDouble(), e.getDiagnostics().getSurrogate().getScore(), 1e-8,
                    what + " score");
            double local = x.get("local_pred").getAsDouble();
            assertEquals(local, e.getDiagnostics().getSurrogate().getLocalPrediction(), lime(local),
                    what + " local prediction");
        }
    }
}
