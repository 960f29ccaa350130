package dev.prism.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.prism.api.v1.Baseline;
import dev.prism.api.v1.ExactShapleyParams;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.Explanation;
import dev.prism.api.v1.FeatureGroups;
import dev.prism.api.v1.GridPatches;
import dev.prism.api.v1.KernelShapParams;
import dev.prism.api.v1.LimeParams;
import dev.prism.api.v1.Link;
import dev.prism.api.v1.Tensor;
import dev.prism.api.v1.TokenPositions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Beyond tabular data: the bundled 8×8 digits model explained by image patches (KernelSHAP against
 * exact Shapley values over the same patches, and LIME), and the text_bag model explained by token
 * positions masked with a token id, where the positive class's log-odds are additive over positions.
 */
class ImageAndTextTest {
    private static final FeatureGroups PATCHES = FeatureGroups.newBuilder()
            .setGrid(GridPatches.newBuilder().setPatchHeight(2).setPatchWidth(2)).build();

    @TempDir
    static Path dir;
    static ServerTestSupport.InProcess prism;

    @BeforeAll
    static void start() throws Exception {
        prism = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(
                ServerTestSupport.repository(dir, "digits", "text_bag")));
    }

    @AfterAll
    static void stop() throws Exception {
        prism.close();
    }

    /** A digit from the model's background file (the first row), as a [1, 1, 8, 8] tensor. */
    private static Tensor digit() throws Exception {
        String row = Files.readAllLines(ServerTestSupport.BUNDLED.resolve("digits/background.csv")).get(1);
        Tensor.Builder t = Tensor.newBuilder().addShape(1).addShape(1).addShape(8).addShape(8);
        for (String v : row.split(",")) {
            t.addFloatData(Float.parseFloat(v));
        }
        return t.build();
    }

    private static ExplainRequest.Builder digitRequest() throws Exception {
        // Masked patches turn blank (0 is the paper's background colour); the predicted class "0" is explained.
        return ExplainRequest.newBuilder().setModel("digits").addInputs(digit()).setFeatureGroups(PATCHES)
                .setBaseline(Baseline.newBuilder().setConstant(0));
    }

    @Test
    void kernelShapOnImagePatchesMatchesExactPatchShapleyValuesWithinItsErrors() throws Exception {
        ExplainResponse exact = prism.explain().explain(digitRequest()
                .setExactShapley(ExactShapleyParams.getDefaultInstance()).build());
        ExplainResponse kernel = prism.explain().explain(digitRequest()
                .setKernelShap(KernelShapParams.newBuilder().setNsamples(4000)).build());
        assertEquals(16, kernel.getFeatureNamesCount());
        assertEquals("patch_3_3", kernel.getFeatureNames(15));
        int misses = 0;
        int checked = 0;
        for (int k = 0; k < 10; k++) {
            Explanation e = exact.getExplanations(k);
            Explanation s = kernel.getExplanations(k);
            assertTrue(e.getDiagnostics().getEfficiencyGap() < 1e-9);
            assertTrue(s.getDiagnostics().getEfficiencyGap() < 1e-9);
            assertEquals(e.getModelOutput() - e.getBaseValue(), s.getModelOutput() - s.getBaseValue(), 1e-9);
            for (int f = 0; f < 16; f++) {
                double se = s.getStandardErrorsCount() == 0 ? 0 : s.getStandardErrors(f);
                double error = Math.abs(s.getAttributions(f) - e.getAttributions(f));
                checked++;
                if (error > 4 * se + 1e-9) {
                    misses++;
                }
            }
        }
        assertTrue(misses <= checked / 20, misses + " of " + checked + " patch values outside 4 standard errors");
    }

    @Test
    void limeOnImagePatchesFitsALocalSurrogateThatAgreesWithShapley() throws Exception {
        ExplainResponse exact = prism.explain().explain(digitRequest()
                .setExactShapley(ExactShapleyParams.getDefaultInstance()).build());
        ExplainResponse lime = prism.explain().explain(digitRequest()
                .setLime(LimeParams.newBuilder().setNumFeatures(16)).build());
        assertEquals("lime", lime.getMethod());
        int predicted = 0;
        for (int k = 1; k < 10; k++) {
            if (lime.getExplanations(k).getModelOutput() > lime.getExplanations(predicted).getModelOutput()) {
                predicted = k;
            }
        }
        Explanation l = lime.getExplanations(predicted);
        Explanation e = exact.getExplanations(predicted);
        assertTrue(l.getModelOutput() > 0.5, "the digit is recognised: p = " + l.getModelOutput());
        assertEquals(1000, l.getDiagnostics().getModelEvaluations(), "LIME's default 1000 samples with groups");
        double r2 = l.getDiagnostics().getSurrogate().getScore();
        assertTrue(r2 > 0.5 && r2 <= 1, "weighted R^2 " + r2);
        assertEquals(l.getDiagnostics().getSurrogate().getIntercept(), l.getBaseValue(), 0);
        double corr = correlation(l.getAttributionsList(), e.getAttributionsList());
        assertTrue(corr > 0.7, "LIME and Shapley patch attributions correlate " + corr);
    }

    @Test
    void tokenPositionsMaskedWithAnIdGetTheirAdditiveLogOdds() throws Exception {
        JsonObject w = JsonParser.parseString(ServerTestSupport.resource("/models/text_bag/weights.json"))
                .getAsJsonObject();
        long[] tokens = {3, 17, 0, 5, 5, 11, 0, 0};
        Tensor.Builder t = Tensor.newBuilder().addShape(1).addShape(8);
        for (long id : tokens) {
            t.addInt64Data(id);
        }
        ExplainRequest.Builder request = ExplainRequest.newBuilder().setModel("text_bag").addInputs(t)
                .setFeatureGroups(FeatureGroups.newBuilder().setTokens(TokenPositions.getDefaultInstance()))
                .setBaseline(Baseline.newBuilder().setMaskTokenId(0))
                .setLink(Link.LINK_LOGIT)
                .addOutputs("positive");
        Explanation shap = prism.explain().explain(request.build()).getExplanations(0);
        Explanation lime = prism.explain().explain(request.setLime(LimeParams.getDefaultInstance()).build())
                .getExplanations(0);
        JsonArray e = w.getAsJsonArray("E");
        JsonArray weights = w.getAsJsonArray("W");
        double maxAbs = 0;
        double[] expected = new double[8];
        for (int i = 0; i < 8; i++) {
            JsonArray embedding = e.get((int) tokens[i]).getAsJsonArray();
            for (int d = 0; d < embedding.size(); d++) {
                JsonArray row = weights.get(d).getAsJsonArray();
                expected[i] += embedding.get(d).getAsDouble() * (row.get(1).getAsDouble() - row.get(0).getAsDouble());
            }
            maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
        }
        for (int i = 0; i < 8; i++) {
            // float32 probabilities through the logit: a few 1e-6 of rounding.
            assertEquals(expected[i], shap.getAttributions(i), 1e-4, "token position " + i);
            // LIME's ridge (alpha 1) over 1000 masked samples shrinks the exact linear effects a little.
            assertEquals(expected[i], lime.getAttributions(i), 0.05 * maxAbs, "LIME token position " + i);
        }
        assertEquals(0, shap.getAttributions(2), 0, "padding equals the mask id and cannot matter");
        assertEquals(5, shap.getDiagnostics().getVaryingFeatures());
        assertTrue(lime.getDiagnostics().getSurrogate().getScore() > 0.99,
                "the log-odds are linear in the kept tokens: R^2 " + lime.getDiagnostics().getSurrogate().getScore());
    }

    private static double correlation(List<Double> a, List<Double> b) {
        int n = a.size();
        double ma = a.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double mb = b.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double sab = 0;
        double saa = 0;
        double sbb = 0;
        for (int i = 0; i < n; i++) {
            double da = a.get(i) - ma;
            double db = b.get(i) - mb;
            sab += da * db;
            saa += da * da;
            sbb += db * db;
        }
        return sab / Math.sqrt(saa * sbb);
    }
}
