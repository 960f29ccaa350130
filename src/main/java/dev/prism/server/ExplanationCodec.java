package dev.prism.server;

import dev.prism.api.v1.ComplexityValue;
import dev.prism.api.v1.Curve;
import dev.prism.api.v1.Diagnostics;
import dev.prism.api.v1.Estimate;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.InfidelityValue;
import dev.prism.api.v1.SensitivityValue;
import dev.prism.api.v1.Summary;
import dev.prism.api.v1.SurrogateFit;
import dev.prism.explain.Explanation;
import dev.prism.explain.evaluation.DeletionCurve;
import dev.prism.explain.evaluation.Evaluation;
import dev.prism.model.ModelSignature;
import java.util.List;

/** Core explanations as response messages. */
final class ExplanationCodec {
    private ExplanationCodec() {}

    /**
     * The response: one message per explanation unless compact, and always the summary.
     *
     * @param featureNames one per attribution (the request's features or feature groups)
     * @param evaluations  one per explanation, in their order, or null when none was asked for
     */
    static ExplainResponse response(String model, String method, ModelSignature sig, List<String> featureNames,
                                    int instances, int[] outputs, List<Explanation> explanations,
                                    List<Evaluation> evaluations, boolean compact, double elapsedSeconds) {
        ExplainResponse.Builder r = ExplainResponse.newBuilder()
                .setModel(model)
                .setMethod(method)
                .addAllFeatureNames(featureNames)
                .setElapsedSeconds(elapsedSeconds)
                .setSummary(summary(sig, featureNames.size(), instances, outputs, explanations, compact));
        if (compact) {
            return r.build();
        }
        for (int n = 0; n < explanations.size(); n++) {
            Explanation e = explanations.get(n);
            Diagnostics.Builder d = Diagnostics.newBuilder()
                    .setModelEvaluations(e.diagnostics().modelEvaluations())
                    .setEfficiencyGap(e.efficiencyGap())
                    .setElapsedSeconds(e.diagnostics().elapsedSeconds())
                    .setCoalitions(e.diagnostics().coalitions())
                    .setExact(e.diagnostics().exact())
                    .setVaryingFeatures(e.diagnostics().varyingFeatures())
                    .setConverged(e.diagnostics().converged());
            if (e.diagnostics().convergenceDelta() != null) {
                d.setConvergenceDelta(e.diagnostics().convergenceDelta());
            }
            if (e.diagnostics().surrogate() != null) {
                var fit = e.diagnostics().surrogate();
                d.setSurrogate(SurrogateFit.newBuilder().setIntercept(fit.intercept()).setScore(fit.score())
                        .setLocalPrediction(fit.localPrediction()));
            }
            dev.prism.api.v1.Explanation.Builder b = dev.prism.api.v1.Explanation.newBuilder()
                    .setInstance(e.instance())
                    .setOutput(sig.outputNames().get(e.output()))
                    .setBaseValue(e.baseValue())
                    .setModelOutput(e.modelOutput())
                    .setDiagnostics(d);
            for (double a : e.attributions()) {
                b.addAttributions(a);
            }
            if (e.standardErrors() != null) {
                for (double s : e.standardErrors()) {
                    b.addStandardErrors(s);
                }
            }
            if (e.interactions() != null) {
                for (double v : e.interactions()) {
                    b.addInteractions(v);
                }
            }
            if (evaluations != null) {
                b.setEvaluation(evaluation(evaluations.get(n)));
            }
            r.addExplanations(b);
        }
        return r.build();
    }

    /** The metrics computed; those not asked for stay unset. */
    static dev.prism.api.v1.Evaluation evaluation(Evaluation e) {
        dev.prism.api.v1.Evaluation.Builder b = dev.prism.api.v1.Evaluation.newBuilder();
        if (e.deletion() != null) {
            b.setDeletion(curve(e.deletion(), e.insertion()));
        }
        if (e.insertion() != null) {
            b.setInsertion(curve(e.insertion(), e.deletion()));
        }
        if (e.infidelity() != null) {
            b.setInfidelity(InfidelityValue.newBuilder().setValue(e.infidelity().value())
                    .setNormalized(e.infidelity().normalized()).setBeta(e.infidelity().beta())
                    .setSamples(e.infidelity().samples()));
        }
        if (e.sensitivity() != null) {
            b.setSensitivity(SensitivityValue.newBuilder().setMax(e.sensitivity().value())
                    .setRankStability(e.rankStability().value()).setTopK(e.rankStability().k()));
        }
        if (e.complexity() != null) {
            b.setComplexity(ComplexityValue.newBuilder().setEntropy(e.complexity().entropy())
                    .setEffectiveFeatures(e.complexity().effectiveFeatures()).setFraction(e.complexity().fraction()));
        }
        return b.build();
    }

    /** @param partner the explanation's other curve, which the normalised area shares its scale with */
    private static Curve curve(DeletionCurve c, DeletionCurve partner) {
        Curve.Builder b = Curve.newBuilder().setArea(c.area()).setNormalizedArea(c.normalizedArea(partner));
        for (int i : c.order()) {
            b.addOrder(i);
        }
        for (int k : c.moved()) {
            b.addMoved(k);
        }
        for (double v : c.values()) {
            b.addValues(v);
        }
        return b.build();
    }

    /** Mean |φ| per feature and output, and with compact every value as dense tensors. */
    private static Summary summary(ModelSignature sig, int features, int instances, int[] outputs,
                                   List<Explanation> explanations, boolean compact) {
        int d = outputs.length;
        double[] meanAbs = new double[features * d];
        double[] phi = compact ? new double[instances * features * d] : null;
        double[] se = compact ? new double[instances * features * d] : null;
        double[] base = compact ? new double[instances * d] : null;
        double[] out = compact ? new double[instances * d] : null;
        boolean anyErrors = false;
        double[] pairs = compact && !explanations.isEmpty() && explanations.get(0).interactions() != null
                ? new double[instances * features * features * d] : null;
        for (int n = 0; n < explanations.size(); n++) {
            Explanation e = explanations.get(n);
            int k = n % d; // explanations come by instance, then by output in request order
            double[] a = e.attributions();
            for (int f = 0; f < features; f++) {
                meanAbs[f * d + k] += Math.abs(a[f]) / instances;
            }
            if (compact) {
                int i = e.instance();
                base[i * d + k] = e.baseValue();
                out[i * d + k] = e.modelOutput();
                for (int f = 0; f < features; f++) {
                    phi[(i * features + f) * d + k] = a[f];
                    if (e.standardErrors() != null) {
                        se[(i * features + f) * d + k] = e.standardErrors()[f];
                        anyErrors = true;
                    }
                }
                if (pairs != null) {
                    double[] p = e.interactions();
                    for (int f = 0; f < features * features; f++) {
                        pairs[(i * features * features + f) * d + k] = p[f];
                    }
                }
            }
        }
        Summary.Builder s = Summary.newBuilder().setInstances(instances)
                .setMeanAbsAttributions(TensorCodec.encode("mean_abs_attributions", new long[] {features, d}, meanAbs));
        for (int c : outputs) {
            s.addOutputs(sig.outputNames().get(c));
        }
        if (compact) {
            s.setAttributions(TensorCodec.encode("attributions", new long[] {instances, features, d}, phi))
                    .setBaseValues(TensorCodec.encode("base_values", new long[] {instances, d}, base))
                    .setModelOutputs(TensorCodec.encode("model_outputs", new long[] {instances, d}, out));
            if (anyErrors) {
                s.setStandardErrors(TensorCodec.encode("standard_errors", new long[] {instances, features, d}, se));
            }
            if (pairs != null) {
                s.setInteractions(TensorCodec.encode("interactions",
                        new long[] {instances, features, features, d}, pairs));
            }
        }
        return s.build();
    }

    static Estimate estimate(ModelSignature sig, int instance, int output, double[] attributions, double[] se) {
        Estimate.Builder b = Estimate.newBuilder().setInstance(instance).setOutput(sig.outputNames().get(output));
        for (double a : attributions) {
            b.addAttributions(a);
        }
        if (se != null) {
            for (double s : se) {
                b.addStandardErrors(s);
            }
        }
        return b.build();
    }
}
