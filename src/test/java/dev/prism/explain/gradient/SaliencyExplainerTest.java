package dev.prism.explain.gradient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.explain.Explanation;
import dev.prism.explain.FeatureGroups;
import dev.prism.testing.ExplainerRun;
import java.util.List;
import org.junit.jupiter.api.Test;

class SaliencyExplainerTest {
    static final double[][] X = DeepLiftExplainerTest.X;

    @Test
    void absoluteGradientsSummedOverGroupsWithNoReference() {
        FeatureGroups groups = FeatureGroups.of(4, List.of(new int[] {0, 1}, new int[] {2}), List.of("a", "b"));
        List<Explanation> out = ExplainerRun.of(new SaliencyExplainer(),
                Inputs.input(X, Inputs.baseline(new double[4]), true, groups, 2), null).on(Polynomial.model()).run();
        Polynomial f = new Polynomial();
        for (int i = 0; i < X.length; i++) {
            double[][] j = f.jacobian(X[i]);
            for (int k = 0; k < 2; k++) {
                Explanation e = out.get(i * 2 + k);
                assertArrayEquals(new double[] {Math.abs(j[k][0]) + Math.abs(j[k][1]), Math.abs(j[k][2])},
                        e.attributions(), 1e-14);
                assertEquals(f.values(X[i])[k], e.modelOutput(), 1e-14);
                assertTrue(Double.isNaN(e.baseValue()));
                assertNull(e.diagnostics().convergenceDelta());
                assertTrue(Double.isNaN(e.efficiencyGap()));
                assertNull(e.standardErrors());
                assertEquals(2, e.diagnostics().modelEvaluations());
            }
        }
    }
}
