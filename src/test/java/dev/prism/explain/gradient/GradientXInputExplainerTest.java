package dev.prism.explain.gradient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.prism.explain.Explanation;
import dev.prism.explain.FeatureGroups;
import dev.prism.testing.ExplainerRun;
import java.util.List;
import org.junit.jupiter.api.Test;

class GradientXInputExplainerTest {
    static final double[][] X = DeepLiftExplainerTest.X;

    @Test
    void atAZeroBaselineItIsTheInputTimesTheGradient() {
        double[] zero = new double[4];
        List<Explanation> out = ExplainerRun.of(new GradientXInputExplainer(),
                Inputs.input(X, Inputs.baseline(zero), true, 2), null).on(Polynomial.model()).run();
        Polynomial f = new Polynomial();
        for (int i = 0; i < X.length; i++) {
            double[][] j = f.jacobian(X[i]);
            for (int k = 0; k < 2; k++) {
                Explanation e = out.get(i * 2 + k);
                double[] phi = IntegratedGradientsExplainerTest.times(X[i], j[k]);
                assertArrayEquals(phi, e.attributions(), 1e-14);
                assertEquals(f.values(zero)[k], e.baseValue(), 0);
                assertEquals(f.values(X[i])[k], e.modelOutput(), 1e-14);
                assertEquals(DeepLiftExplainerTest.sum(phi) - (f.values(X[i])[k] - f.values(zero)[k]),
                        e.diagnostics().convergenceDelta(), 1e-13);
                assertEquals(4, e.diagnostics().modelEvaluations());
            }
        }
    }

    @Test
    void aBaselineMultipliesTheGradientByTheDifferenceAndGroupsSumIt() {
        double[] baseline = DeepLiftExplainerTest.BASELINE;
        FeatureGroups groups = FeatureGroups.of(4, List.of(new int[] {2}, new int[] {0, 3}), List.of("a", "b"));
        List<Explanation> out = ExplainerRun.of(new GradientXInputExplainer(),
                Inputs.input(X, Inputs.baseline(baseline), true, groups, 2), null).on(Polynomial.model()).run();
        Polynomial f = new Polynomial();
        for (int i = 0; i < X.length; i++) {
            double[] reference = baseline.clone();
            reference[1] = X[i][1];
            double[][] j = f.jacobian(X[i]);
            for (int k = 0; k < 2; k++) {
                double[] phi = IntegratedGradientsExplainerTest.times(
                        IntegratedGradientsExplainerTest.difference(X[i], reference), j[k]);
                Explanation e = out.get(i * 2 + k);
                assertArrayEquals(new double[] {phi[2], phi[0] + phi[3]}, e.attributions(), 1e-14);
                assertEquals(f.values(reference)[k], e.baseValue(), 1e-14);
                assertEquals(phi[0] + phi[2] + phi[3] - (f.values(X[i])[k] - f.values(reference)[k]),
                        e.diagnostics().convergenceDelta(), 1e-13);
            }
        }
    }
}
