package dev.prism.server;

import dev.prism.api.v1.Diagnostics;
import dev.prism.api.v1.Estimate;
import dev.prism.api.v1.ExplainResponse;
import dev.prism.explain.Explanation;
import dev.prism.model.ModelSignature;
import java.util.List;

/** Core explanations as response messages. */
final class ExplanationCodec {
    private ExplanationCodec() {}

    static ExplainResponse response(String model, String method, ModelSignature sig,
                                    List<Explanation> explanations, double elapsedSeconds) {
        ExplainResponse.Builder r = ExplainResponse.newBuilder()
                .setModel(model)
                .setMethod(method)
                .addAllFeatureNames(sig.featureNames())
                .setElapsedSeconds(elapsedSeconds);
        for (Explanation e : explanations) {
            dev.prism.api.v1.Explanation.Builder b = dev.prism.api.v1.Explanation.newBuilder()
                    .setInstance(e.instance())
                    .setOutput(sig.outputNames().get(e.output()))
                    .setBaseValue(e.baseValue())
                    .setModelOutput(e.modelOutput())
                    .setDiagnostics(Diagnostics.newBuilder()
                            .setModelEvaluations(e.diagnostics().modelEvaluations())
                            .setEfficiencyGap(e.efficiencyGap())
                            .setElapsedSeconds(e.diagnostics().elapsedSeconds())
                            .setCoalitions(e.diagnostics().coalitions())
                            .setExact(e.diagnostics().exact())
                            .setVaryingFeatures(e.diagnostics().varyingFeatures()));
            for (double a : e.attributions()) {
                b.addAttributions(a);
            }
            if (e.standardErrors() != null) {
                for (double s : e.standardErrors()) {
                    b.addStandardErrors(s);
                }
            }
            r.addExplanations(b);
        }
        return r.build();
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
