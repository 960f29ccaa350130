package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.assertViolation;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.api.v1.Baseline;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.Explanation;
import dev.prism.api.v1.ExplicitGroups;
import dev.prism.api.v1.FeatureGroup;
import dev.prism.api.v1.FeatureGroups;
import dev.prism.api.v1.GridPatches;
import dev.prism.api.v1.KernelShapParams;
import dev.prism.api.v1.ResponseFormat;
import dev.prism.api.v1.SegmentMap;
import dev.prism.api.v1.Summary;
import dev.prism.api.v1.TokenPositions;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feature groups, baselines, background summaries, compact summaries and tolerances over gRPC, checked on the linear test model
 * (y = w·x + b), whose Shapley value for a group is the sum of w_i (x_i − r_i) over its elements.
 */
class MaskingServiceTest {
    private static final double[] W = {0.5, -1.25, 2.0, 0.0, 3.5};
    private static final double[][] X = {{1.5, 2, -0.5, 3, 0.25}, {-1, 0.75, 2.5, -4, 2}};
    private static final double[][] BG = {{0, 0, 0, 0, 0}, {1, -1, 0.5, 2, -0.5}, {-2, 0.25, 1, -1, 1.5}};

    @TempDir
    static Path dir;
    static ServerTestSupport.InProcess prism;

    @BeforeAll
    static void start() throws Exception {
        assertEquals(ModelServiceTest.linear(new double[][] {{1, 0, 0, 0, 0}})[0]
                - ModelServiceTest.linear(new double[][] {{0, 0, 0, 0, 0}})[0], W[0], 0, "weights of weights.json");
        prism = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(
                ServerTestSupport.repository(dir, "linear", "iris", "breast_cancer")));
    }

    @AfterAll
    static void stop() throws Exception {
        prism.close();
    }

    private static ExplainRequest.Builder linear() {
        return ExplainRequest.newBuilder().setModel("linear")
                .addInputs(floats(2, ModelServiceTest.flatten(X)))
                .setBackground(floats(3, ModelServiceTest.flatten(BG)));
    }

    /** Σ_{i∈group} w_i (x_i − mean background_i), the exact value of a group of a linear model. */
    private static double groupValue(double[] x, int... elements) {
        double v = 0;
        for (int i : elements) {
            double mean = 0;
            for (double[] row : BG) {
                mean += row[i] / BG.length;
            }
            v += W[i] * (x[i] - mean);
        }
        return v;
    }

    private static FeatureGroup group(String name, int... elements) {
        FeatureGroup.Builder g = FeatureGroup.newBuilder().setName(name);
        for (int e : elements) {
            g.addElements(e);
        }
        return g.build();
    }

    @Test
    void explicitGroupsAreAttributedAsOneFeatureEachAndUngroupedElementsStayPut() {
        ExplainResponse r = prism.explain().explain(linear()
                .setFeatureGroups(FeatureGroups.newBuilder().setExplicit(ExplicitGroups.newBuilder()
                        .addGroups(group("first", 0, 1)).addGroups(group("", 2, 4))))
                .build());
        assertEquals(List.of("first", "group1"), r.getFeatureNamesList());
        for (int n = 0; n < 2; n++) {
            Explanation e = r.getExplanations(n);
            assertEquals(groupValue(X[n], 0, 1), e.getAttributions(0), 1e-4);
            assertEquals(groupValue(X[n], 2, 4), e.getAttributions(1), 1e-4);
            // Element 3 has weight 0, so v(full) − v(empty) is the groups' sum and efficiency still holds.
            assertTrue(e.getDiagnostics().getEfficiencyGap() < 1e-9);
            assertTrue(e.getDiagnostics().getExact());
        }
    }

    @Test
    void ungroupedElementsKeepTheInstanceEvenInTheEmptyCoalition() {
        // Element 1 (w = -1.25) is in no group: the base value includes its instance value.
        ExplainResponse r = prism.explain().explain(linear()
                .setFeatureGroups(FeatureGroups.newBuilder().setExplicit(ExplicitGroups.newBuilder()
                        .addGroups(group("a", 0, 3)).addGroups(group("b", 2, 4))))
                .build());
        for (int n = 0; n < 2; n++) {
            Explanation e = r.getExplanations(n);
            double base = 0;
            for (double[] row : BG) {
                double[] masked = row.clone();
                masked[1] = X[n][1];
                base += ModelServiceTest.linear(new double[][] {masked})[0] / BG.length;
            }
            assertEquals(base, e.getBaseValue(), 1e-4);
            assertEquals(groupValue(X[n], 0, 3), e.getAttributions(0), 1e-4);
            assertEquals(groupValue(X[n], 2, 4), e.getAttributions(1), 1e-4);
            assertTrue(e.getDiagnostics().getEfficiencyGap() < 1e-9);
        }
    }

    @Test
    void gridPatchesSegmentsAndTokensNameAndCoverTheirElements() {
        ExplainResponse grid = prism.explain().explain(linear()
                .setFeatureGroups(FeatureGroups.newBuilder().setGrid(GridPatches.newBuilder()
                        .setImageHeight(1).setImageWidth(5).setPatchHeight(1).setPatchWidth(2)))
                .build());
        assertEquals(List.of("patch_0_0", "patch_0_1", "patch_0_2"), grid.getFeatureNamesList());
        Explanation g = grid.getExplanations(1);
        assertEquals(groupValue(X[1], 0, 1), g.getAttributions(0), 1e-4);
        assertEquals(groupValue(X[1], 2, 3), g.getAttributions(1), 1e-4);
        assertEquals(groupValue(X[1], 4), g.getAttributions(2), 1e-4);

        ExplainResponse segments = prism.explain().explain(linear()
                .setFeatureGroups(FeatureGroups.newBuilder().setSegments(SegmentMap.newBuilder()
                        .addAllSegmentIds(List.of(7, 7, 0, -1, 0))))
                .build());
        assertEquals(List.of("segment_0", "segment_7"), segments.getFeatureNamesList());
        Explanation s = segments.getExplanations(0);
        assertEquals(groupValue(X[0], 2, 4), s.getAttributions(0), 1e-4);
        assertEquals(groupValue(X[0], 0, 1), s.getAttributions(1), 1e-4);

        // Tokens masked with a constant id: φ_i = w_i (x_i − id).
        ExplainResponse tokens = prism.explain().explain(linear()
                .setFeatureGroups(FeatureGroups.newBuilder().setTokens(TokenPositions.getDefaultInstance()))
                .setBaseline(Baseline.newBuilder().setMaskTokenId(2))
                .build());
        assertEquals(List.of("token_0", "token_1", "token_2", "token_3", "token_4"), tokens.getFeatureNamesList());
        Explanation t = tokens.getExplanations(0);
        for (int i = 0; i < 5; i++) {
            assertEquals(W[i] * (X[0][i] - 2), t.getAttributions(i), 1e-4, "token " + i);
        }
        // x_1 = 2 equals the mask id: the position cannot change the output and is not a player.
        assertEquals(0, t.getAttributions(1), 0);
        assertEquals(4, t.getDiagnostics().getVaryingFeatures()); // x_3 varies though w_3 = 0; x_1 does not
    }

    @Test
    void baselinesReplaceTheBackground() {
        double[] base = {1, 2, 3, 4, 5};
        ExplainResponse perElement = prism.explain().explain(linear()
                .setBaseline(Baseline.newBuilder().setValues(ServerTestSupport.doubles(new long[] {5}, base)))
                .build());
        ExplainResponse constant = prism.explain().explain(linear()
                .setBaseline(Baseline.newBuilder().setConstant(-0.5))
                .build());
        for (int i = 0; i < 5; i++) {
            assertEquals(W[i] * (X[1][i] - base[i]), perElement.getExplanations(1).getAttributions(i), 1e-4);
            assertEquals(W[i] * (X[1][i] + 0.5), constant.getExplanations(1).getAttributions(i), 1e-4);
        }
        assertEquals(ModelServiceTest.linear(new double[][] {base})[0],
                perElement.getExplanations(0).getBaseValue(), 1e-4);
    }

    @Test
    void compactFormatCarriesEveryValueInTheSummaryTensors() {
        ExplainResponse full = prism.explain().explain(ExplainRequest.newBuilder().setModel("iris")
                .addInputs(floats(3, 5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3, 5.9, 3.0, 4.2, 1.5))
                .build());
        ExplainResponse compact = prism.explain().explain(ExplainRequest.newBuilder().setModel("iris")
                .addInputs(floats(3, 5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3, 5.9, 3.0, 4.2, 1.5))
                .setFormat(ResponseFormat.FORMAT_COMPACT)
                .build());
        assertEquals(0, compact.getExplanationsCount());
        assertEquals(9, full.getExplanationsCount());
        Summary s = compact.getSummary();
        assertEquals(3, s.getInstances());
        assertEquals(List.of("setosa", "versicolor", "virginica"), s.getOutputsList());
        assertEquals(List.of(3L, 4L, 3L), s.getAttributions().getShapeList());
        assertEquals(List.of(4L, 3L), s.getMeanAbsAttributions().getShapeList());
        assertEquals(List.of(3L, 3L), s.getBaseValues().getShapeList());
        assertFalse(s.hasStandardErrors(), "iris is enumerated exactly: no standard errors");
        double[] meanAbs = new double[12];
        for (Explanation e : full.getExplanationsList()) {
            int k = s.getOutputsList().indexOf(e.getOutput());
            for (int f = 0; f < 4; f++) {
                assertEquals(e.getAttributions(f), s.getAttributions().getDoubleData((e.getInstance() * 4 + f) * 3 + k),
                        0, "compact and per-explanation values are the same numbers");
                meanAbs[f * 3 + k] += Math.abs(e.getAttributions(f)) / 3;
            }
            assertEquals(e.getBaseValue(), s.getBaseValues().getDoubleData(e.getInstance() * 3 + k), 0);
            assertEquals(e.getModelOutput(), s.getModelOutputs().getDoubleData(e.getInstance() * 3 + k), 0);
        }
        for (int i = 0; i < 12; i++) {
            assertEquals(meanAbs[i], s.getMeanAbsAttributions().getDoubleData(i), 1e-12);
            assertEquals(meanAbs[i], full.getSummary().getMeanAbsAttributions().getDoubleData(i), 1e-12);
        }
        assertFalse(full.getSummary().hasAttributions(), "per-explanation responses keep the summary small");
    }

    @Test
    void toleranceStopsEarlyOnceEveryStandardErrorIsBelowIt() {
        ExplainRequest.Builder request = ExplainRequest.newBuilder().setModel("breast_cancer")
                .addInputs(floats(1, ServerTestSupport.backgroundRows("breast_cancer", 1)))
                .setBackground(floats(10, ServerTestSupport.backgroundRows("breast_cancer", 10)));
        Explanation loose = prism.explain().explain(request.setKernelShap(KernelShapParams.newBuilder()
                .setNsamples(20_000).setTolerance(5e-3)).build()).getExplanations(1);
        Explanation tight = prism.explain().explain(request.setKernelShap(KernelShapParams.newBuilder()
                .setNsamples(20_000).setTolerance(1e-12)).build()).getExplanations(1);
        assertTrue(loose.getDiagnostics().getConverged());
        assertTrue(loose.getDiagnostics().getCoalitions() < 20_000, "stopped early: " + loose.getDiagnostics());
        assertEquals(loose.getDiagnostics().getCoalitions() * 10 + 1, loose.getDiagnostics().getModelEvaluations());
        double max = loose.getStandardErrorsList().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        assertTrue(max > 0 && max <= 5e-3, "largest standard error " + max);
        assertTrue(loose.getDiagnostics().getEfficiencyGap() < 1e-9);
        assertFalse(tight.getDiagnostics().getConverged());
        assertEquals(20_000, tight.getDiagnostics().getCoalitions());
        assertStatus(failure(() -> prism.explain().explain(request.setKernelShap(KernelShapParams.newBuilder()
                .setTolerance(-1)).build())), Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS");
    }

    @Test
    void backgroundKmeansSummarisesTheBackgroundIntoWeightedRealValuedCentres() {
        ExplainRequest.Builder request = ExplainRequest.newBuilder().setModel("iris")
                .addInputs(floats(1, 6.7, 3.0, 5.2, 2.3))
                .setExactShapley(dev.prism.api.v1.ExactShapleyParams.getDefaultInstance());
        Explanation full = prism.explain().explain(request.build()).getExplanations(0);
        Explanation summarised = prism.explain().explain(request.setBackgroundKmeans(10).build()).getExplanations(0);
        assertEquals(14 * 100 + 1, full.getDiagnostics().getModelEvaluations());
        assertEquals(14 * 10 + 1, summarised.getDiagnostics().getModelEvaluations(), "ten centres, not 100 rows");
        assertTrue(summarised.getDiagnostics().getEfficiencyGap() < 1e-9);
        // Ten weighted centres stand in for the data: the base value moves, but not far.
        assertTrue(Math.abs(full.getBaseValue() - summarised.getBaseValue()) < 0.15,
                full.getBaseValue() + " vs " + summarised.getBaseValue());
        assertViolation(assertStatus(failure(() -> prism.explain().explain(request.setBackgroundKmeans(101).build())),
                Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "background_kmeans");
        assertViolation(assertStatus(failure(() -> prism.explain().explain(linear().setBackgroundKmeans(2)
                .setBaseline(Baseline.newBuilder().setConstant(0)).build())),
                Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "background_kmeans");
    }

    @Test
    void badGroupsAndBaselinesAreRefusedWithTheField() {
        String overlap = assertViolation(assertStatus(failure(() -> prism.explain().explain(linear()
                .setFeatureGroups(FeatureGroups.newBuilder().setExplicit(ExplicitGroups.newBuilder()
                        .addGroups(group("a", 0, 1)).addGroups(group("b", 1, 2))))
                .build())), Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "feature_groups.explicit.groups");
        assertTrue(overlap.contains("element 1"), overlap);
        assertViolation(assertStatus(failure(() -> prism.explain().explain(linear()
                .setFeatureGroups(FeatureGroups.newBuilder().setExplicit(ExplicitGroups.newBuilder()
                        .addGroups(group("a", 0, 9))))
                .build())), Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "feature_groups.explicit.groups");
        assertViolation(assertStatus(failure(() -> prism.explain().explain(linear()
                .setFeatureGroups(FeatureGroups.newBuilder().setSegments(SegmentMap.newBuilder()
                        .addAllSegmentIds(List.of(0, 1))))
                .build())), Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "feature_groups.segments.segment_ids");
        assertViolation(assertStatus(failure(() -> prism.explain().explain(linear()
                .setFeatureGroups(FeatureGroups.newBuilder().setGrid(GridPatches.newBuilder()
                        .setImageHeight(1).setImageWidth(5)))
                .build())), Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "feature_groups.grid.patch_height");
        assertViolation(assertStatus(failure(() -> prism.explain().explain(linear()
                .setFeatureGroups(FeatureGroups.newBuilder().setGrid(GridPatches.newBuilder()
                        .setPatchHeight(2).setPatchWidth(2)))
                .build())), Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "feature_groups.grid.image_height");
        assertViolation(assertStatus(failure(() -> prism.explain().explain(linear()
                .setBaseline(Baseline.newBuilder().setValues(ServerTestSupport.doubles(new long[] {3}, 1, 2, 3)))
                .build())), Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR"), "baseline.values.shape[1]");
        assertViolation(assertStatus(failure(() -> prism.explain().explain(linear()
                .setBaseline(Baseline.getDefaultInstance()).build())), Status.Code.INVALID_ARGUMENT,
                "INVALID_PARAMS"), "baseline");
    }
}
