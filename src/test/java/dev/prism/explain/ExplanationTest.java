package dev.prism.explain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.lime.LimeExplainer;
import dev.prism.explain.lime.LimeParams;
import dev.prism.explain.shap.ExactShapleyExplainer;
import dev.prism.explain.shap.ExactShapleyParams;
import dev.prism.explain.shap.KernelShapExplainer;
import dev.prism.explain.shap.KernelShapParams;
import dev.prism.model.Background;
import dev.prism.tensor.RowBlock;
import dev.prism.testing.ExplainerRun;
import dev.prism.testing.FunctionModel;
import org.junit.jupiter.api.Test;

/** An explanation is finite or it is an error: never an answer of NaN or infinities. */
class ExplanationTest {
    private static final Diagnostics DIAGNOSTICS = new Diagnostics(1, 1, true, 2, 0);

    @Test
    void nonFiniteValuesAreAnInternalErrorNamingThem() {
        PrismException e = assertThrows(PrismException.class, () -> new Explanation(3, 1, 0, 1,
                new double[] {0.5, Double.NaN}, null, DIAGNOSTICS));
        assertEquals(Reason.INTERNAL_ERROR, e.reason());
        assertEquals("the explanation of instance 3 for output column 1 came out not finite (attribution 1 is NaN):"
                + " the method's arithmetic failed on the model's outputs", e.getMessage());
        assertTrue(assertThrows(PrismException.class, () -> new Explanation(0, 0, 0, 1, new double[] {1, 0},
                new double[] {0.1, Double.POSITIVE_INFINITY}, DIAGNOSTICS)).getMessage()
                .contains("(standard error 1 is Infinity)"));
        assertTrue(assertThrows(PrismException.class, () -> new Explanation(0, 0, Double.NEGATIVE_INFINITY, 1,
                new double[] {1, 0}, null, DIAGNOSTICS)).getMessage().contains("(the base value is -Infinity)"));
        assertTrue(assertThrows(PrismException.class, () -> new Explanation(0, 0, 0, Double.NaN,
                new double[] {1, 0}, null, DIAGNOSTICS)).getMessage().contains("(the model output is NaN)"));
    }

    @Test
    void saliencysNaNBaseValueIsAllowed() {
        Explanation e = new Explanation(0, 0, Double.NaN, 1, new double[] {1, 0}, null, DIAGNOSTICS);
        assertTrue(Double.isNaN(e.baseValue()));
    }

    /**
     * Finite model outputs whose differences overflow: f is ±1.7e308 by the sign of x0, so
     * v({x0}) − v(∅) = 3.4e308 is infinite and φ0 comes out NaN. Every method used to answer that as OK.
     */
    @Test
    void explainersFailRatherThanAnswerInfiniteAttributions() {
        FunctionModel model = new FunctionModel(2, 1, x -> new double[] {x[0] > 0 ? 1.7e308 : -1.7e308});
        Background bg = Background.uniform(new RowBlock(2, 2, new double[] {-1, -1, -2, -1}));
        ExplainInput input = new ExplainInput(new RowBlock(1, 2, new double[] {1, 1}), bg, new int[] {0},
                Link.IDENTITY, 0);
        String infinite = "the explanation of instance 0 for output column 0 came out not finite (attribution 0 is NaN):"
                + " the method's arithmetic failed on the model's outputs";
        assertEquals(infinite, internalError(() -> ExplainerRun.of(new ExactShapleyExplainer(), input,
                ExactShapleyParams.DEFAULTS).on(model).run()));
        assertEquals(infinite, internalError(() -> ExplainerRun.of(new KernelShapExplainer(), input,
                KernelShapParams.DEFAULTS).on(model).run()));
        String lime = internalError(() -> ExplainerRun.of(new LimeExplainer(), input, LimeParams.DEFAULTS).on(model)
                .run());
        assertTrue(lime.startsWith("the lime surrogate could not be fitted: ridge: "), lime);
    }

    private static String internalError(Runnable call) {
        PrismException e = assertThrows(PrismException.class, call::run);
        assertEquals(Reason.INTERNAL_ERROR, e.reason(), e.getMessage());
        return e.getMessage();
    }
}
