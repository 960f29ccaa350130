package dev.prism.server;

import dev.prism.api.v1.GivenAttributions;
import dev.prism.error.FieldViolation;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.ExplainInput;
import dev.prism.model.ModelSignature;
import java.util.ArrayList;
import java.util.List;

/**
 * An Evaluate request's attributions as [instance][output position][feature], or INVALID_ARGUMENT
 * with one field violation per bad entry (at most {@link #MAX_VIOLATIONS}, so a flood of bad entries
 * cannot grow the answer). Exactly one entry per instance and explained output, each with one finite
 * value per feature.
 */
final class GivenAttributionsCodec {
    static final int MAX_VIOLATIONS = 20;

    private GivenAttributionsCodec() {}

    static double[][][] decode(List<GivenAttributions> given, ExplainInput input, ModelSignature sig) {
        int n = input.instances().rows();
        int outputs = input.outputCount();
        int features = input.featureCount();
        double[][][] out = new double[n][outputs][];
        List<FieldViolation> violations = new ArrayList<>();
        for (int e = 0; e < given.size() && violations.size() < MAX_VIOLATIONS; e++) {
            GivenAttributions a = given.get(e);
            String field = "attributions[" + e + "]";
            int k = position(input, sig, a.getOutput());
            if (a.getInstance() < 0 || a.getInstance() >= n) {
                violations.add(new FieldViolation(field + ".instance", "must be in [0, " + n + "), got "
                        + a.getInstance()));
            } else if (k < 0) {
                violations.add(new FieldViolation(field + ".output", "names no explained output; the request"
                        + " explains " + explainedNames(input, sig)));
            } else if (out[a.getInstance()][k] != null) {
                violations.add(new FieldViolation(field, "instance " + a.getInstance() + " and output '"
                        + a.getOutput() + "' were given before"));
            } else if (a.getValuesCount() != features) {
                violations.add(new FieldViolation(field + ".values", "must hold " + features
                        + " values (one per feature), got " + a.getValuesCount()));
            } else {
                double[] values = new double[features];
                for (int j = 0; j < features; j++) {
                    values[j] = a.getValues(j);
                    if (!Double.isFinite(values[j])) {
                        violations.add(new FieldViolation(field + ".values[" + j + "]", "must be finite, got "
                                + values[j]));
                        break;
                    }
                }
                out[a.getInstance()][k] = values;
            }
        }
        if (violations.isEmpty() && given.size() != (long) n * outputs) {
            violations.add(new FieldViolation("attributions", "must give one entry per instance and explained"
                    + " output: " + n + " × " + outputs + " = " + (long) n * outputs + ", got " + given.size()));
        }
        if (!violations.isEmpty()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, violations);
        }
        return out;
    }

    /** The output's position among the explained ones, or -1. */
    private static int position(ExplainInput input, ModelSignature sig, String name) {
        for (int k = 0; k < input.outputCount(); k++) {
            if (sig.outputNames().get(input.output(k)).equals(name)) {
                return k;
            }
        }
        return -1;
    }

    private static String explainedNames(ExplainInput input, ModelSignature sig) {
        List<String> names = new ArrayList<>();
        for (int k = 0; k < Math.min(input.outputCount(), 10); k++) {
            names.add("'" + sig.outputNames().get(input.output(k)) + "'");
        }
        return String.join(", ", names) + (input.outputCount() > 10 ? ", ..." : "");
    }
}
