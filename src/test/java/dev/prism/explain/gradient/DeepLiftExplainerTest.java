package dev.prism.explain.gradient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explanation;
import dev.prism.explain.FeatureGroups;
import dev.prism.testing.AttributionFunctionModel;
import dev.prism.testing.ExplainerRun;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeepLiftExplainerTest {
    static final double[][] W = {{0.5, -1.25, 2.0, 3.5}, {-1, 0.25, 0, 4}};
    static final double[] C = {0.75, -2};
    static final double[][] X = {{1.5, 2, -0.5, 3}, {-1, 0.75, 2.5, -4}, {0.2, 0.3, 0.4, 0.5}};
    static final double[] BASELINE = {0.25, -1, 0.5, 2};

    @Test
    void aLinearModelGetsWTimesTheDifferenceAndNoDelta() {
        AttributionFunctionModel model = new AttributionFunctionModel(4, 2, AttributionFunctionModel.linear(W, C));
        List<Explanation> out = ExplainerRun.of(new DeepLiftExplainer(),
                Inputs.input(X, Inputs.baseline(BASELINE), true, 2), null).on(model).run();
        assertEquals(6, out.size());
        for (int i = 0; i < X.length; i++) {
            for (int k = 0; k < 2; k++) {
                Explanation e = out.get(i * 2 + k);
                assertEquals(i, e.instance());
                assertEquals(k, e.output());
                double[] expected = new double[4];
                for (int f = 0; f < 4; f++) {
                    expected[f] = W[k][f] * (X[i][f] - BASELINE[f]);
                }
                assertArrayEquals(expected, e.attributions(), 1e-14);
                assertEquals(linear(k, BASELINE), e.baseValue(), 1e-14);
                assertEquals(linear(k, X[i]), e.modelOutput(), 1e-14);
                assertEquals(0, e.diagnostics().convergenceDelta(), 1e-13);
                assertNull(e.standardErrors());
                assertEquals(2, e.diagnostics().modelEvaluations());
                assertEquals(4, e.diagnostics().varyingFeatures());
            }
        }
    }

    @Test
    void theDeltaIsTheSumOfContributionsMinusTheChangeInOutput() {
        AttributionFunctionModel model = Polynomial.model();
        List<Explanation> out = ExplainerRun.of(new DeepLiftExplainer(),
                Inputs.input(X, Inputs.baseline(BASELINE), true, 2), null).on(model).run();
        Polynomial f = new Polynomial();
        for (int i = 0; i < X.length; i++) {
            double[][] c = f.contributions(X[i], BASELINE);
            for (int k = 0; k < 2; k++) {
                Explanation e = out.get(i * 2 + k);
                assertArrayEquals(c[k], e.attributions(), 1e-14);
                double change = f.values(X[i])[k] - f.values(BASELINE)[k];
                double delta = sum(c[k]) - change;
                assertEquals(delta, e.diagnostics().convergenceDelta(), 1e-13);
                assertEquals(Math.abs(delta), e.efficiencyGap(), 1e-13);
                assertTrue(Math.abs(delta) > 1e-6, "the cubic outputs leave a delta: " + delta);
            }
        }
    }

    @Test
    void groupsSumTheirElementsAndUngroupedElementsKeepTheInstanceInTheReference() {
        AttributionFunctionModel model = new AttributionFunctionModel(4, 2, AttributionFunctionModel.linear(W, C));
        // Element 2 is in no group: the reference takes the instance's value there.
        FeatureGroups groups = FeatureGroups.of(4, List.of(new int[] {0, 3}, new int[] {1}), List.of("a", "b"));
        ExplainInput input = Inputs.input(X, Inputs.baseline(BASELINE), true, groups, 2);
        List<Explanation> out = ExplainerRun.of(new DeepLiftExplainer(), input, null).on(model).run();
        for (int i = 0; i < X.length; i++) {
            double[] reference = BASELINE.clone();
            reference[2] = X[i][2];
            for (int k = 0; k < 2; k++) {
                Explanation e = out.get(i * 2 + k);
                assertArrayEquals(new double[] {
                        W[k][0] * (X[i][0] - BASELINE[0]) + W[k][3] * (X[i][3] - BASELINE[3]),
                        W[k][1] * (X[i][1] - BASELINE[1])}, e.attributions(), 1e-14);
                assertEquals(linear(k, reference), e.baseValue(), 1e-14);
                assertEquals(0, e.diagnostics().convergenceDelta(), 1e-13);
            }
        }
    }

    static double linear(int k, double[] x) {
        double y = C[k];
        for (int e = 0; e < x.length; e++) {
            y += W[k][e] * x[e];
        }
        return y;
    }

    static double sum(double[] values) {
        double s = 0;
        for (double v : values) {
            s += v;
        }
        return s;
    }
}
