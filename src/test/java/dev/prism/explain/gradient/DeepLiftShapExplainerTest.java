package dev.prism.explain.gradient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explanation;
import dev.prism.explain.FeatureGroups;
import dev.prism.model.Background;
import dev.prism.testing.AttributionFunctionModel;
import dev.prism.testing.ExplainerRun;
import dev.prism.testing.RecordingProgress;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeepLiftShapExplainerTest {
    static final double[][] X = DeepLiftExplainerTest.X;
    static final double[][] BG = {{0, 0, 0, 0}, {1, -1, 0.5, 2}, {-2, 0.25, 1, -1}, {0.5, 0.5, -0.5, 1.5}};
    static final double[] WEIGHTS = {1, 2, 3, 4};

    static Background background() {
        return new Background(Inputs.rows(BG), WEIGHTS);
    }

    @Test
    void theWeightedMeanOfDeepLiftOverTheBackgroundWithItsStandardErrors() {
        Polynomial f = new Polynomial();
        List<Explanation> out = ExplainerRun.of(new DeepLiftShapExplainer(), Inputs.input(X, background(), false, 2),
                null).on(Polynomial.model()).run();
        double[] pi = background().weights();
        for (int i = 0; i < X.length; i++) {
            for (int k = 0; k < 2; k++) {
                double[] mean = new double[4];
                double base = 0;
                for (int b = 0; b < BG.length; b++) {
                    double[] c = f.contributions(X[i], BG[b])[k];
                    for (int e = 0; e < 4; e++) {
                        mean[e] += pi[b] * c[e];
                    }
                    base += pi[b] * f.values(BG[b])[k];
                }
                double[] se = new double[4];
                for (int e = 0; e < 4; e++) {
                    double q = 0;
                    for (int b = 0; b < BG.length; b++) {
                        double dev = f.contributions(X[i], BG[b])[k][e] - mean[e];
                        q += pi[b] * pi[b] * dev * dev;
                    }
                    se[e] = Math.sqrt(q * BG.length / (BG.length - 1));
                }
                Explanation e = out.get(i * 2 + k);
                assertArrayEquals(mean, e.attributions(), 1e-13);
                assertArrayEquals(se, e.standardErrors(), 1e-13);
                assertEquals(base, e.baseValue(), 1e-13);
                assertEquals(f.values(X[i])[k], e.modelOutput(), 1e-14);
                double delta = DeepLiftExplainerTest.sum(mean) - (f.values(X[i])[k] - base);
                assertEquals(delta, e.diagnostics().convergenceDelta(), 1e-13);
                assertEquals(8, e.diagnostics().modelEvaluations());
            }
        }
    }

    @Test
    void oneBackgroundRowIsDeepLiftAgainstItWithoutStandardErrors() {
        Background one = Background.uniform(Inputs.rows(new double[][] {BG[1]}));
        List<Explanation> shap = ExplainerRun.of(new DeepLiftShapExplainer(), Inputs.input(X, one, false, 2), null)
                .on(Polynomial.model()).run();
        List<Explanation> lift = ExplainerRun.of(new DeepLiftExplainer(), Inputs.input(X, one, true, 2), null)
                .on(Polynomial.model()).run();
        for (int n = 0; n < shap.size(); n++) {
            assertArrayEquals(lift.get(n).attributions(), shap.get(n).attributions(), 1e-15);
            assertEquals(lift.get(n).baseValue(), shap.get(n).baseValue(), 1e-15);
            assertNull(shap.get(n).standardErrors());
        }
    }

    @Test
    void aLinearModelGetsWTimesTheDistanceFromTheWeightedMeanWithUngroupedElementsKept() {
        double[][] w = DeepLiftExplainerTest.W;
        AttributionFunctionModel model = new AttributionFunctionModel(4, 2,
                AttributionFunctionModel.linear(w, DeepLiftExplainerTest.C));
        FeatureGroups groups = FeatureGroups.of(4, List.of(new int[] {1, 2}, new int[] {3}), List.of("a", "b"));
        ExplainInput input = Inputs.input(X, background(), false, groups, 2);
        List<Explanation> out = ExplainerRun.of(new DeepLiftShapExplainer(), input, null).on(model).run();
        double[] pi = background().weights();
        for (int i = 0; i < X.length; i++) {
            double[] mean = new double[4];
            for (int b = 0; b < BG.length; b++) {
                for (int e = 0; e < 4; e++) {
                    mean[e] += pi[b] * BG[b][e];
                }
            }
            for (int k = 0; k < 2; k++) {
                Explanation e = out.get(i * 2 + k);
                assertArrayEquals(new double[] {
                        w[k][1] * (X[i][1] - mean[1]) + w[k][2] * (X[i][2] - mean[2]),
                        w[k][3] * (X[i][3] - mean[3])}, e.attributions(), 1e-13);
                double[] reference = mean.clone();
                reference[0] = X[i][0];
                assertEquals(DeepLiftExplainerTest.linear(k, reference), e.baseValue(), 1e-13);
                assertEquals(0, e.diagnostics().convergenceDelta(), 1e-13);
            }
        }
    }

    @Test
    void runningEstimatesStreamAsBackgroundRowsComeBack() {
        RecordingProgress progress = new RecordingProgress();
        double[][] x = {X[0]};
        ExplainerRun.of(new DeepLiftShapExplainer(1), new ExplainInput(Inputs.rows(x), background(), false,
                Inputs.singletons(4), new int[] {1}, dev.prism.explain.Link.IDENTITY, 0), null)
                .on(Polynomial.model()).progress(progress).run();
        // After rows 2 and 3 of 4; after the last the result is final.
        assertEquals(2, progress.estimates.size());
        Polynomial f = new Polynomial();
        double[] mean = new double[4];
        double weights = WEIGHTS[0] + WEIGHTS[1] + WEIGHTS[2];
        for (int b = 0; b < 3; b++) {
            double[] c = f.contributions(x[0], BG[b])[1];
            for (int e = 0; e < 4; e++) {
                mean[e] += WEIGHTS[b] / weights * c[e];
            }
        }
        assertArrayEquals(mean, progress.estimates.get(1), 1e-13);
        for (double s : progress.errors.get(1)) {
            assertTrue(s >= 0);
        }
    }
}
