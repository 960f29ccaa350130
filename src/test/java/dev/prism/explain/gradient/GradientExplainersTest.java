package dev.prism.explain.gradient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prism.batch.BatchingSettings;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explainer;
import dev.prism.explain.Explanation;
import dev.prism.explain.Link;
import dev.prism.model.Background;
import dev.prism.testing.AttributionFunctionModel;
import dev.prism.testing.ExplainerRun;
import dev.prism.testing.RecordingProgress;
import java.util.List;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What every gradient explainer must do alike: chunking, progress, cancellation, outputs, the link. */
class GradientExplainersTest {
    private static final double[][] X = {{1.5, 2, -0.5, 3}, {-1, 0.75, 2.5, -4}, {0.2, 0.3, 0.4, 0.5},
            {2, -2, 1, 0}, {0.5, 1.5, -1, 2}};

    /** An explainer built with a chunk size, its params and whether it averages over a background. */
    private record Method(String name, IntFunction<Explainer<Object>> explainer, Object params,
                          boolean background) {
        @Override
        public String toString() {
            return name;
        }
    }

    @SuppressWarnings("unchecked")
    private static <P> IntFunction<Explainer<Object>> cast(IntFunction<Explainer<P>> f) {
        return chunk -> (Explainer<Object>) (Explainer<?>) f.apply(chunk);
    }

    static Stream<Arguments> methods() {
        return Stream.of(
                new Method("deep_lift", cast(DeepLiftExplainer::new), null, false),
                new Method("deep_lift_shap", cast(DeepLiftShapExplainer::new), null, true),
                new Method("integrated_gradients", cast(IntegratedGradientsExplainer::new),
                        new IntegratedGradientsParams(9, IntegrationMethod.GAUSS_LEGENDRE), false),
                new Method("gradient_x_input", cast(GradientXInputExplainer::new), null, false),
                new Method("saliency", cast(SaliencyExplainer::new), null, false)).map(Arguments::of);
    }

    /** A scheduler of this batch size with two model runs in flight at once. */
    private static BatchingSettings batching(int maxBatchRows) {
        return BatchingSettings.DEFAULT.withMaxBatchRows(maxBatchRows).withWorkers(2);
    }

    private static ExplainInput input(Method m, int[] outputs, Link link) {
        Background references = m.background
                ? new Background(Inputs.rows(DeepLiftShapExplainerTest.BG), DeepLiftShapExplainerTest.WEIGHTS)
                : Inputs.baseline(DeepLiftExplainerTest.BASELINE);
        return new ExplainInput(Inputs.rows(X), references, !m.background, Inputs.singletons(4), outputs, link, 0);
    }

    @ParameterizedTest
    @MethodSource("methods")
    void resultsDoNotDependOnChunkOrBatchSizes(Method m) {
        List<Explanation> first = null;
        for (int chunk : new int[] {1, 7, 4096}) {
            for (int batch : new int[] {1, 7, 4096}) {
                List<Explanation> out = ExplainerRun.of(m.explainer.apply(chunk),
                        input(m, new int[] {0, 1}, Link.IDENTITY), m.params).on(Polynomial.model())
                        .batching(batching(batch)).run();
                if (first == null) {
                    first = out;
                    continue;
                }
                assertEquals(first.size(), out.size());
                for (int n = 0; n < out.size(); n++) {
                    String at = "chunk " + chunk + " batch " + batch + " explanation " + n;
                    assertArrayEquals(first.get(n).attributions(), out.get(n).attributions(), 0, at);
                    if (first.get(n).standardErrors() != null) {
                        assertArrayEquals(first.get(n).standardErrors(), out.get(n).standardErrors(), 0, at);
                    }
                    assertEquals(first.get(n).baseValue(), out.get(n).baseValue(), 0, at);
                    assertEquals(first.get(n).modelOutput(), out.get(n).modelOutput(), 0, at);
                    assertEquals(first.get(n).diagnostics().convergenceDelta(),
                            out.get(n).diagnostics().convergenceDelta(), at);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("methods")
    void progressReachesTheRowsEvaluatedWhichTheBudgetForesaw(Method m) {
        AttributionFunctionModel model = Polynomial.model();
        RecordingProgress progress = new RecordingProgress();
        ExplainInput input = input(m, new int[] {1, 0}, Link.IDENTITY);
        Explainer<Object> explainer = m.explainer.apply(7);
        List<Explanation> out = ExplainerRun.of(explainer, input, m.params).on(model).batching(batching(5))
                .progress(progress).run();
        long needed = explainer.evaluationsNeeded(input, m.params);
        assertEquals(needed, progress.total);
        assertEquals(needed, progress.done);
        assertEquals(needed, model.graphRows());
        // Explanations come by instance, then in the requested output order.
        assertEquals(X.length * 2, out.size());
        for (int n = 0; n < out.size(); n++) {
            assertEquals(n / 2, out.get(n).instance());
            assertEquals(n % 2 == 0 ? 1 : 0, out.get(n).output());
            assertEquals(needed / X.length, out.get(n).diagnostics().modelEvaluations());
        }
    }

    @ParameterizedTest
    @MethodSource("methods")
    void cancellingStopsTheRowsAndFailsWithTheReason(Method m) {
        AttributionFunctionModel model = Polynomial.model();
        RecordingProgress progress = new RecordingProgress();
        Explainer<Object> explainer = m.explainer.apply(1);
        ExplainInput input = input(m, new int[] {0, 1}, Link.IDENTITY);
        PrismException e = assertThrows(PrismException.class, () -> ExplainerRun.of(explainer, input, m.params)
                .on(model).batching(batching(4096)).progress(progress).cancelAfterRows(1).run());
        assertEquals(Reason.CANCELLED, e.reason());
        // One chunk of one row was read; at most the chunks in flight behind it ran.
        assertEquals(1, progress.done);
        assertTrue(model.graphRows() <= 1 + AttributionRows.MAX_CHUNKS_IN_FLIGHT,
                "rows run after cancelling: " + model.graphRows());
        assertTrue(explainer.evaluationsNeeded(input, m.params) > 1 + AttributionRows.MAX_CHUNKS_IN_FLIGHT);
    }

    @ParameterizedTest
    @MethodSource("methods")
    void aLinkOtherThanIdentityIsRefused(Method m) {
        PrismException e = assertThrows(PrismException.class,
                () -> m.explainer.apply(7).validate(input(m, new int[] {0}, Link.LOGIT), m.params));
        assertEquals(Reason.INVALID_PARAMS, e.reason());
        assertEquals("link", e.violations().get(0).field());
    }
}
