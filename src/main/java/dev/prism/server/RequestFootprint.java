package dev.prism.server;

import com.google.protobuf.MessageLite;
import dev.prism.explain.ExplainInput;
import dev.prism.explain.evaluation.EvaluationParams;
import dev.prism.explain.evaluation.ExplanationEvaluator;

/**
 * What a request holds at its peak, reserved against the {@link MemoryBudget} before it runs: its
 * message and decoded input, the method's working state (rows in flight, per-instance state, as the
 * explainer declares it), and its answer, which exists three times over at the end: as the
 * explanations, as the response message, and as the message's serialized bytes waiting for the
 * reader.
 */
final class RequestFootprint {
    /** Copies of each answer value at the peak: explanations, message, serialized bytes. */
    static final int ANSWER_COPIES = 3;
    /** Per explanation besides its values: objects, names, diagnostics. */
    static final long PER_EXPLANATION = 256;

    private RequestFootprint() {}

    /** Bytes an explanation request will hold at its peak. */
    static long explanation(MessageLite request, ExplainRequestCodec.Prepared p) {
        ExplainInput input = p.input();
        long instances = input.instances().rows();
        long decoded = bytes(instances, input.instances().width());
        boolean inline = p.input().background() != p.model().entry().defaultBackground().orElse(null);
        if (inline) {
            decoded += bytes(input.background().size(), input.background().rows().width());
        }
        long explanations = instances * input.outputCount();
        // Attributions and their standard errors, per feature, per explanation.
        long answer = ANSWER_COPIES * (bytes(explanations, 2L * input.featureCount()) + explanations * PER_EXPLANATION);
        long working = p.method().workingBytes(input, p.scheduler().outputWidth(), p.timeBudget() != null);
        return request.getSerializedSize() + decoded + working + answer + evaluation(p);
    }

    /**
     * Bytes the evaluation adds: its own working state and results (with the answer's copies of
     * the results), and sensitivity's explanation of the perturbed inputs, held at once as a bound.
     */
    static long evaluation(ExplainRequestCodec.Prepared p) {
        EvaluationParams e = p.evaluation();
        if (e == null) {
            return 0;
        }
        ExplainInput input = p.input();
        long bytes = e.workingBytes(input, p.model().scheduler().outputWidth());
        if (e.deletion() != null) {
            long explanations = (long) input.instances().rows() * input.outputCount();
            bytes += ANSWER_COPIES * explanations * 2 * bytes(3L, input.featureCount() + 1L);
        }
        if (e.sensitivity() != null) {
            ExplainInput perturbed = ExplanationEvaluator.perturbedInput(input, e.sensitivity());
            bytes += p.method().workingBytes(perturbed, p.scheduler().outputWidth(), false);
        }
        return bytes;
    }

    /**
     * Bytes a prediction will hold at its peak: its message, its decoded rows, and its outputs in the
     * scheduler, as the response message and as its serialized bytes.
     */
    static long prediction(MessageLite request, long rows, int inputWidth, int outputWidth) {
        return request.getSerializedSize() + bytes(rows, inputWidth) + ANSWER_COPIES * bytes(rows, outputWidth);
    }

    /** A request in words, for refusals. */
    static String describe(ExplainRequestCodec.Prepared p) {
        return "a " + p.method().name() + " explanation of " + p.input().instances().rows() + " instances"
                + (p.evaluation() != null && !p.evaluationSampled() ? " with its evaluation" : "");
    }

    private static long bytes(long rows, long width) {
        return Math.multiplyHigh(rows, width) != 0 ? Long.MAX_VALUE / 4 : rows * width * Double.BYTES;
    }
}
