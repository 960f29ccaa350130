package dev.prism.server;

import static dev.prism.server.ServerTestSupport.assertStatus;
import static dev.prism.server.ServerTestSupport.assertViolation;
import static dev.prism.server.ServerTestSupport.failure;
import static dev.prism.server.ServerTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.TreeShapParams;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tree_shap as an attacker would call it: answers that would not fit, and many requests racing to one table. */
class TreeShapAttackTest {
    private static final int FEATURES = 30;
    private static ServerTestSupport.InProcess prism;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        // 64 MiB lent to requests, 32 MiB of tables.
        prism = new ServerTestSupport.InProcess(ServerTestSupport.inProcessOptions(
                        ServerTestSupport.repository(dir, "breast_cancer_xgb"))
                .withAdmission(new ServerOptions.Admission(64L << 20, Duration.ofSeconds(30), 128))
                .withTreeShap(new ServerOptions.TreeShapSettings(2, 32L << 20)));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        prism.close();
    }

    private static double[] rows(int n, long seed) {
        double[] background = ServerTestSupport.backgroundRows("breast_cancer_xgb", 100);
        Random rng = new Random(seed);
        double[] out = new double[n * FEATURES];
        for (int i = 0; i < n; i++) {
            int from = rng.nextInt(100);
            for (int f = 0; f < FEATURES; f++) {
                out[i * FEATURES + f] = background[from * FEATURES + f] * (1 + 0.05 * rng.nextGaussian());
            }
        }
        return out;
    }

    @Test
    void interactionMatricesThatWouldNotFitTheMemoryBudgetAreRefusedBeforeAnyWork() {
        // 10,000 instances × 2 outputs × 30 × 30 doubles, twice over (values and message): about 275 MiB.
        ExplainRequest huge = ExplainRequest.newBuilder().setModel("breast_cancer_xgb")
                .addInputs(floats(10_000, rows(10_000, 1)))
                .setBackground(floats(5, rows(5, 2)))
                .setTreeShap(TreeShapParams.newBuilder().setInteractions(true)).build();
        String why = assertViolation(assertStatus(failure(() -> prism.explain().explain(huge)),
                Status.Code.INVALID_ARGUMENT, "BUDGET_EXCEEDED"), "inputs");
        assertTrue(why.contains("MiB"), why);
        // The server keeps serving, and the same instances without interactions fit.
        ExplainResponse plain = prism.explain().explain(huge.toBuilder().setTreeShap(TreeShapParams
                .getDefaultInstance()).build());
        assertEquals(20_000, plain.getExplanationsCount());
    }

    @Test
    void requestsRacingToANewBackgroundAllGetTheSameAnswerAndOneTableIsKept() throws Exception {
        double entries = prism.registry().get("prism.tree_shap.table_cache.entries").gauge().value();
        ExplainRequest request = ExplainRequest.newBuilder().setModel("breast_cancer_xgb")
                .addInputs(floats(400, rows(400, 3)))
                .setBackground(floats(60, rows(60, 4)))
                .setTreeShap(TreeShapParams.getDefaultInstance()).build();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<ExplainResponse>> answers = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                answers.add(clients.submit(() -> prism.explain().explain(request)));
            }
            ExplainResponse first = answers.get(0).get();
            for (Future<ExplainResponse> a : answers) {
                ExplainResponse r = a.get();
                for (int i = 0; i < r.getExplanationsCount(); i++) {
                    // Tables built by racing requests hold the same numbers.
                    assertEquals(first.getExplanations(i).getAttributionsList(),
                            r.getExplanations(i).getAttributionsList());
                }
            }
        } finally {
            clients.shutdownNow();
        }
        assertEquals(entries + 1, prism.registry().get("prism.tree_shap.table_cache.entries").gauge().value());
        assertTrue(prism.registry().get("prism.tree_shap.table_cache").gauge().value() <= 32L << 20);
    }
}
