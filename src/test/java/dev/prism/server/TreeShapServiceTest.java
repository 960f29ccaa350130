package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.assertViolation;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.api.v1.Baseline;
import dev.prism.api.v1.ExactShapleyParams;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.Explanation;
import dev.prism.api.v1.ExplicitGroups;
import dev.prism.api.v1.FeatureGroup;
import dev.prism.api.v1.FeatureGroups;
import dev.prism.api.v1.Link;
import dev.prism.api.v1.TreeShapParams;
import io.grpc.Status;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tree_shap through the server: what it answers, and what it refuses. */
class TreeShapServiceTest {
    private static final double[] FLOWERS = {5.1, 3.5, 1.4, 0.2, 6.3, 2.9, 5.6, 1.8, 5.9, 3.0, 4.2, 1.5};
    private static ServerTestSupport.InProcess prism;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        prism = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(
                ServerTestSupport.repository(dir, "iris", "breast_cancer")));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        prism.close();
    }

    private static ExplainRequest.Builder iris() {
        return ExplainRequest.newBuilder().setModel("iris").addInputs(floats(3, FLOWERS))
                .setTreeShap(TreeShapParams.getDefaultInstance());
    }

    @Test
    void onAForestOfProbabilitiesItIsExactShapleyWithoutAModelRow() {
        // iris's forest outputs averaged leaf probabilities with no transform: its margin is its output,
        // so tree_shap and the enumeration of every coalition through the model play the same game.
        ExplainResponse trees = prism.explain().explain(iris().build());
        ExplainResponse exact = prism.explain().explain(iris().setExactShapley(ExactShapleyParams.getDefaultInstance())
                .build());
        assertEquals("tree_shap", trees.getMethod());
        assertEquals(exact.getExplanationsCount(), trees.getExplanationsCount());
        for (int i = 0; i < trees.getExplanationsCount(); i++) {
            Explanation t = trees.getExplanations(i);
            Explanation e = exact.getExplanations(i);
            assertEquals(e.getOutput(), t.getOutput());
            // The model sums float32 leaf values; tree_shap sums them in double.
            assertEquals(e.getBaseValue(), t.getBaseValue(), 1e-6);
            assertEquals(e.getModelOutput(), t.getModelOutput(), 1e-6);
            for (int f = 0; f < 4; f++) {
                assertEquals(e.getAttributions(f), t.getAttributions(f), 1e-6, "instance " + t.getInstance() + " "
                        + t.getOutput() + " feature " + f);
            }
            assertEquals(0, t.getDiagnostics().getModelEvaluations());
            assertTrue(t.getDiagnostics().getExact());
            assertEquals(0, t.getStandardErrorsCount());
        }
        assertEquals(0, trees.getWarningsCount());
    }

    @Test
    void aModelWithoutTreesIsAFailedPreconditionNamingWhy() {
        ExplainRequest request = ExplainRequest.newBuilder().setModel("breast_cancer")
                .addInputs(floats(1, new double[30])).setTreeShap(TreeShapParams.getDefaultInstance()).build();
        var e = assertStatus(failure(() -> prism.explain().explain(request)), Status.Code.FAILED_PRECONDITION,
                "METHOD_UNSUPPORTED_FOR_MODEL");
        assertEquals("model 'breast_cancer' cannot be explained with tree_shap: the model is not a tree ensemble",
                e.getStatus().getDescription());
    }

    @Test
    void aRequestWhoseTreeWalksPassTheServersLimitIsRefusedBeforeAnyWork() {
        // 10,000 instances × 10,000 background rows × 25 trees = 2.5e9 walks, over max_evaluations (1e9).
        double[] rows = new double[10_000 * 4];
        ExplainRequest huge = ExplainRequest.newBuilder().setModel("iris").addInputs(floats(10_000, rows))
                .setBackground(floats(10_000, rows)).setTreeShap(TreeShapParams.getDefaultInstance()).build();
        assertTrue(assertViolation(assertStatus(failure(() -> prism.explain().explain(huge)),
                Status.Code.INVALID_ARGUMENT, "BUDGET_EXCEEDED"), "inputs").contains("max_evaluations"));
        // A NaN in an instance is refused by field, as for every method.
        ExplainRequest nan = iris().clearInputs().addInputs(floats(1, 5.1, Double.NaN, 1.4, 0.2)).build();
        assertStatus(failure(() -> prism.explain().explain(nan)), Status.Code.INVALID_ARGUMENT, "INVALID_TENSOR");
        // The server keeps serving.
        assertEquals(9, prism.explain().explain(iris().build()).getExplanationsCount());
    }

    @Test
    void whatItDoesNotTakeIsRefusedByField() {
        ExplainRequest groups = iris().setFeatureGroups(FeatureGroups.newBuilder().setExplicit(ExplicitGroups
                .newBuilder().addGroups(FeatureGroup.newBuilder().setName("sepal").addElements(0)
                        .addElements(1)))).build();
        assertTrue(assertViolation(assertStatus(failure(() -> prism.explain().explain(groups)),
                Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "feature_groups").startsWith("tree_shap explains"));
        ExplainRequest logit = iris().setLink(Link.LINK_LOGIT).build();
        assertViolation(assertStatus(failure(() -> prism.explain().explain(logit)), Status.Code.INVALID_ARGUMENT,
                "INVALID_PARAMS"), "link");
        ExplainRequest baseline = iris().setBaseline(Baseline.newBuilder().setConstant(0)).build();
        assertTrue(assertViolation(assertStatus(failure(() -> prism.explain().explain(baseline)),
                Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "baseline").startsWith("tree_shap averages over"));
        ExplainRequest budget = iris().setTimeBudget(com.google.protobuf.Duration.newBuilder().setSeconds(1)).build();
        assertTrue(assertViolation(assertStatus(failure(() -> prism.explain().explain(budget)),
                Status.Code.INVALID_ARGUMENT, "INVALID_PARAMS"), "time_budget").startsWith("tree_shap is exact"));
    }
}
