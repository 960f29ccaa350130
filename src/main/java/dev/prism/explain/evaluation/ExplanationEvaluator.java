package dev.prism.explain.evaluation;

import dev.prism.explain.ExplainInput;
import dev.prism.explain.Explanation;
import dev.prism.explain.ProgressSink;
import dev.prism.explain.RowStream;
import dev.prism.explain.TimeBudget;
import dev.prism.runner.BatchRunner;
import dev.prism.runner.RequestContext;
import dev.prism.tensor.RowBlock;
import java.util.ArrayList;
import java.util.List;

/**
 * Evaluates a request's explanations with the metrics asked for. Deletion, insertion and
 * infidelity run model rows through one {@link RowStream} on the model's runner, so the request's
 * cancellation, deadline and progress hold for them as for the explanation; sensitivity explains
 * the perturbed inputs again with the request's own method, in one call over every instance.
 * The perturbations of instance i are drawn with seed + i, the same for each of its outputs.
 */
public final class ExplanationEvaluator {

    /** The request's method, run again on other instances with everything else unchanged. */
    @FunctionalInterface
    public interface Reexplainer {
        /** Explanations ordered by instance, then output, as the method answers. */
        List<Explanation> explain(ExplainInput perturbed);
    }

    private ExplanationEvaluator() {}

    /**
     * The input sensitivity explains: every instance replaced by its {@code perturbations} perturbed
     * copies, instance after instance.
     */
    public static ExplainInput perturbedInput(ExplainInput input, EvaluationParams.Sensitivity s) {
        int n = input.instances().rows();
        int width = input.instances().width();
        double[] data = new double[n * s.perturbations() * width];
        for (int i = 0; i < n; i++) {
            double[][] rows = Perturbations.uniformBall(input.instances().row(i), s.radius(), s.perturbations(),
                    s.seed() + i);
            for (int j = 0; j < rows.length; j++) {
                System.arraycopy(rows[j], 0, data, (i * s.perturbations() + j) * width, width);
            }
        }
        return new ExplainInput(new RowBlock(n * s.perturbations(), width, data),
                input.background(), input.baseline(), input.groups(), input.outputs(), input.link(), input.seed());
    }

    /**
     * @param explanations the request's, ordered by instance, then output
     * @param modelRunner  rows of the model itself (not of an attribution graph)
     * @return one evaluation per explanation, in the same order
     */
    public static List<Evaluation> evaluate(ExplainInput input, List<Explanation> explanations, EvaluationParams params,
                                            BatchRunner modelRunner, ProgressSink progress, RequestContext context,
                                            Reexplainer reexplainer) {
        int outputs = input.outputCount();
        List<Explanation> perturbed = null;
        EvaluationParams.Sensitivity s = params.sensitivity();
        if (s != null) {
            perturbed = reexplainer.explain(perturbedInput(input, s));
        }
        RowStream stream = new RowStream(modelRunner, progress, context, TimeBudget.NONE,
                AveragedScores.MAX_ROWS_IN_FLIGHT);
        List<Evaluation> out = new ArrayList<>(explanations.size());
        for (int e = 0; e < explanations.size(); e++) {
            context.throwIfCancelled();
            Explanation x = explanations.get(e);
            double[] phi = x.attributions();
            double[] instance = input.instances().row(x.instance());
            int column = x.output();
            DeletionCurve deletion = null;
            DeletionCurve insertion = null;
            if (params.deletion() != null) {
                int steps = params.deletion().steps();
                deletion = DeletionCurve.of(stream, DeletionCurve.Direction.DELETION, instance, input.background(),
                        input.groups(), phi, column, input.link(), steps);
                insertion = DeletionCurve.of(stream, DeletionCurve.Direction.INSERTION, instance, input.background(),
                        input.groups(), phi, column, input.link(), steps);
            }
            Infidelity infidelity = null;
            if (params.infidelity() != null) {
                EvaluationParams.InfidelityNoise noise = params.infidelity();
                infidelity = Infidelity.of(stream, instance, phi, Perturbations.gaussian(instance, noise.std(),
                        noise.perturbations(), noise.seed() + x.instance()), column, input.link());
            }
            SensitivityMax sensitivity = null;
            RankStability stability = null;
            if (s != null) {
                double[][] again = new double[s.perturbations()][];
                int k = e % outputs;
                for (int j = 0; j < again.length; j++) {
                    again[j] = perturbed.get((x.instance() * s.perturbations() + j) * outputs + k).attributions();
                }
                sensitivity = SensitivityMax.of(phi, again);
                stability = RankStability.of(phi, again, s.topK());
            }
            Complexity complexity = params.complexity() == null ? null
                    : Complexity.of(phi, params.complexity().fraction());
            out.add(new Evaluation(deletion, insertion, infidelity, sensitivity, stability, complexity));
        }
        return out;
    }
}
