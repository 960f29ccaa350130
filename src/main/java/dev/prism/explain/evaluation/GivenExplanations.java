package dev.prism.explain.evaluation;

import dev.prism.explain.Diagnostics;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explanation;
import dev.prism.explain.ProgressSink;
import dev.prism.explain.RowStream;
import dev.prism.explain.TimeBudget;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.RequestContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Attributions a client gives for evaluation (stored, or made elsewhere), made into explanations of
 * the request's game: each gets the model's output at its instance, link(f_c(x)), and the game's
 * base value, link(Σ_r w_r f_c(r)) over the method's reference rows (NaN for a method without a
 * reference), so that its efficiency gap says how far the attributions are from adding up in this
 * game. Costs one model row per instance and one per reference row, per explained output; an
 * explanation's {@code modelEvaluations} counts its instance's own rows.
 */
public final class GivenExplanations {
    private GivenExplanations() {}

    /** The model rows {@link #of} runs. */
    public static long modelRows(ExplainInput input, boolean hasReference) {
        long perOutput = input.instances().rows() + (hasReference ? input.background().size() : 0);
        return perOutput * input.outputCount();
    }

    /**
     * @param attributions [instance][output position][feature], the output position indexing
     *                     {@code input.outputs()}
     * @param hasReference the method compares with reference rows (false for saliency)
     * @return explanations ordered by instance, then output, as the methods answer
     */
    public static List<Explanation> of(ExplainInput input, double[][][] attributions, boolean hasReference,
                                       BatchRunner modelRunner, ProgressSink progress, RequestContext context) {
        RowStream stream = new RowStream(modelRunner, progress, context, TimeBudget.NONE,
                AveragedScores.MAX_ROWS_IN_FLIGHT);
        int n = input.instances().rows();
        int outputs = input.outputCount();
        double[] unitWeight = {1};
        double[][] modelOutputs = new double[outputs][];
        double[] baseValues = new double[outputs];
        for (int k = 0; k < outputs; k++) {
            int column = input.output(k);
            modelOutputs[k] = AveragedScores.of(stream, n, unitWeight,
                    (from, to) -> input.instances().slice(from, to - from), column, input.link(),
                    item -> "instance " + item);
            baseValues[k] = !hasReference ? Double.NaN : AveragedScores.of(stream, 1, input.background().weights(),
                    (from, to) -> input.background().rows(), column, input.link(), item -> "the reference rows")[0];
        }
        List<Explanation> out = new ArrayList<>(n * outputs);
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < outputs; k++) {
                out.add(new Explanation(i, input.output(k), baseValues[k], modelOutputs[k][i],
                        attributions[i][k].clone(), null,
                        new Diagnostics(outputs, 0, false, input.featureCount(), 0)));
            }
        }
        return out;
    }
}
