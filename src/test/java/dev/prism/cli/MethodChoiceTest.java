package dev.prism.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.GradientTarget;
import dev.prism.server.MethodTable;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class MethodChoiceTest {
    private static final GradientTarget OUTPUT = GradientTarget.GRADIENT_TARGET_OUTPUT;

    private static ExplainRequest request(String method, long budget, int nSteps, GradientTarget target) {
        ExplainRequest.Builder b = ExplainRequest.newBuilder();
        MethodChoice.apply(b, method, budget, nSteps, target);
        return b.build();
    }

    @Test
    void everyMethodOfTheTableCanBeNamed() {
        for (String name : MethodTable.names()) {
            assertEquals(name, request(name, 0, 0, OUTPUT).getMethodCase().name().toLowerCase(Locale.ROOT));
        }
    }

    @Test
    void theBudgetGoesToTheFieldEachMethodCallsIt() {
        assertEquals(300, request("kernel_shap", 300, 0, OUTPUT).getKernelShap().getNsamples());
        assertEquals(300, request("permutation_shap", 300, 0, OUTPUT).getPermutationShap().getMaxEvals());
        assertEquals(300, request("lime", 300, 0, OUTPUT).getLime().getNumSamples());
        assertEquals(16, request("integrated_gradients", 0, 16, OUTPUT).getIntegratedGradients().getNSteps());
        assertEquals(GradientTarget.GRADIENT_TARGET_LOGITS,
                request("saliency", 0, 0, GradientTarget.GRADIENT_TARGET_LOGITS).getSaliency().getTarget());
    }

    @Test
    void anOptionTheMethodDoesNotTakeIsRefusedByName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> request("exact_shapley", 10, 0, OUTPUT))
                .getMessage().startsWith("exact_shapley has no sample budget"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> request("kernel_shap", 0, 8, OUTPUT))
                .getMessage().startsWith("kernel_shap has no path steps"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> request("lime", 0, 0, GradientTarget.GRADIENT_TARGET_LOGITS))
                .getMessage().startsWith("lime has no gradient target"));
        String unknown = assertThrows(IllegalArgumentException.class, () -> request("shapley", 0, 0, OUTPUT))
                .getMessage();
        assertEquals("unknown method 'shapley'; use " + String.join(", ", MethodTable.names()), unknown);
    }
}
