package dev.prism.server;

import dev.prism.api.v1.ResponseWarning;
import dev.prism.explain.Explanation;
import dev.prism.model.AttributionKind;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The warning a response carries when a method whose attributions should add up to
 * f(x) − f(x′) leaves more than {@link #RELATIVE} of it unexplained for some instance (its largest
 * gap against the largest change of its outputs): the values are what the method computes, but
 * not what a reader of an efficient method assumes.
 */
final class EfficiencyWarning {
    static final String CODE = "EFFICIENCY_GAP";
    /** The share of f(x) − f(x′) left unexplained above which a response warns. */
    static final double RELATIVE = 0.05;
    /** Gaps below this are rounding, whatever f(x) − f(x′) is. */
    private static final double ABSOLUTE = 1e-6;

    private EfficiencyWarning() {
    }

    static Optional<ResponseWarning> of(ExplainRequestCodec.Prepared prepared, List<Explanation> explanations) {
        if (!MethodTable.named(prepared.method().name()).map(e -> e.method().efficient()).orElse(false)) {
            return Optional.empty();
        }
        // Per instance, against the largest |f(x) − f(x′)| of its outputs: an output that barely
        // moves has a change too small to measure a gap against.
        Map<Integer, double[]> byInstance = new TreeMap<>(); // instance → {largest gap, largest change}
        for (Explanation e : explanations) {
            double[] worst = byInstance.computeIfAbsent(e.instance(), i -> new double[2]);
            worst[0] = Math.max(worst[0], e.efficiencyGap());
            worst[1] = Math.max(worst[1], Math.abs(e.modelOutput() - e.baseValue()));
        }
        int over = 0;
        double worstShare = 0;
        double worstGap = 0;
        for (double[] worst : byInstance.values()) {
            if (worst[0] > ABSOLUTE && worst[1] > 0 && worst[0] > RELATIVE * worst[1]) {
                over++;
                worstShare = Math.max(worstShare, worst[0] / worst[1]);
                worstGap = Math.max(worstGap, worst[0]);
            }
        }
        if (over == 0) {
            return Optional.empty();
        }
        String message = String.format(Locale.ROOT, "%s leaves up to %.0f%% of model_output - base_value unexplained"
                        + " (|gap| up to %.3g; %d of %d instances over %.0f%%)%s", prepared.method().name(),
                100 * worstShare, worstGap, over, byInstance.size(), 100 * RELATIVE, hint(prepared));
        return Optional.of(ResponseWarning.newBuilder().setCode(CODE).setMessage(message).build());
    }

    /** What to do about it, where the cause is known. */
    private static String hint(ExplainRequestCodec.Prepared prepared) {
        ServedModel.Graph graph = prepared.graph();
        if (graph != null && graph.kind() == AttributionKind.DEEP_LIFT && !graph.logits() && prepared.model().hasLogits()) {
            return ": the scores come from a final Softmax, whose DeepLIFT rule does not add up exactly; ask for"
                    + " GRADIENT_TARGET_LOGITS to explain the logits, which do";
        }
        if (graph != null && graph.kind() == AttributionKind.GRADIENT) {
            return ": the path integral is approximate; raise n_steps";
        }
        return "";
    }
}
