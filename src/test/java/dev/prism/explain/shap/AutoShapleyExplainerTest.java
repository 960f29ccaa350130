package dev.prism.explain.shap;

import static dev.prism.explain.shap.Games.random;
import static dev.prism.explain.shap.Games.randomBackground;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.prism.error.PrismException;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explanation;
import dev.prism.explain.FeatureGroups;
import dev.prism.explain.Link;
import dev.prism.model.Background;
import dev.prism.tensor.RowBlock;
import dev.prism.testing.ExplainerRun;
import dev.prism.testing.FunctionModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AutoShapleyExplainerTest {
    private final AutoShapleyExplainer auto = new AutoShapleyExplainer();

    @Test
    void upToTenFeaturesRunExactShapley() {
        int m = 10;
        Random r = new Random(10);
        FunctionModel model = new FunctionModel(m, 2, Games.nonlinear(r, m));
        ExplainInput input = Games.input(model, new RowBlock(2, m, random(r, 2 * m)), randomBackground(r, 3, m),
                Link.IDENTITY, 0);
        assertEquals("exact_shapley", AutoShapleyExplainer.method(input));
        assertEquals(new ExactShapleyExplainer().evaluationsNeeded(input, ExactShapleyParams.DEFAULTS),
                auto.evaluationsNeeded(input, AutoParams.NO_TREES));
        assertSame(ExplainerRun.of(new ExactShapleyExplainer(), input, ExactShapleyParams.DEFAULTS).on(model).run(),
                ExplainerRun.of(auto, input, AutoParams.NO_TREES).on(model).run());
    }

    @Test
    void moreFeaturesRunKernelShapWithItsDefaults() {
        int m = 11;
        Random r = new Random(11);
        FunctionModel model = new FunctionModel(m, 1, Games.nonlinear(r, m));
        ExplainInput input = Games.input(model, new RowBlock(1, m, random(r, m)), randomBackground(r, 3, m),
                Link.IDENTITY, 0);
        assertEquals("kernel_shap", AutoShapleyExplainer.method(input));
        assertEquals(new KernelShapExplainer().evaluationsNeeded(input, KernelShapParams.DEFAULTS),
                auto.evaluationsNeeded(input, AutoParams.NO_TREES));
        assertSame(ExplainerRun.of(new KernelShapExplainer(), input, KernelShapParams.DEFAULTS).on(model).run(),
                ExplainerRun.of(auto, input, AutoParams.NO_TREES).on(model).run());
    }

    /** Ten groups over many elements are ten features. */
    @Test
    void featuresAreCountedAsGroups() {
        int elements = 40;
        List<int[]> members = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int g = 0; g < 10; g++) {
            members.add(new int[] {4 * g, 4 * g + 1, 4 * g + 2, 4 * g + 3});
            names.add("g" + g);
        }
        Background bg = Background.uniform(new RowBlock(1, elements, new double[elements]));
        ExplainInput input = new ExplainInput(new RowBlock(1, elements, new double[elements]), bg, false,
                FeatureGroups.of(elements, members, names), new int[] {0}, Link.IDENTITY, 0);
        assertEquals("exact_shapley", AutoShapleyExplainer.method(input));
    }

    @Test
    void validationIsTheChosenMethods() {
        int m = 10;
        Background bg = Background.uniform(new RowBlock(20_000, m, new double[20_000 * m]));
        ExplainInput input = new ExplainInput(new RowBlock(1, m, new double[m]), bg, new int[] {0}, Link.IDENTITY, 0);
        PrismException e = assertThrows(PrismException.class, () -> auto.validate(input, AutoParams.NO_TREES));
        assertEquals("exact_shapley.max_evaluations", e.violations().get(0).field());
    }

    private static void assertSame(List<Explanation> expected, List<Explanation> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i).attributions(), actual.get(i).attributions(), 0.0);
            assertEquals(expected.get(i).diagnostics().exact(), actual.get(i).diagnostics().exact());
        }
    }
}
