package dev.prism.cli;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.Message;
import dev.prism.api.v1.ExplainRequest;
import dev.prism.api.v1.GradientTarget;
import dev.prism.server.MethodTable;
import java.util.List;

/**
 * The method a command line names, set on the request through the API's descriptors: the server's
 * method table says which names exist, and each method's parameters message says which of the
 * command line's options it takes, so a method added to the API needs nothing here.
 */
final class MethodChoice {
    /** The fields that hold a method's sample budget, whatever the method calls it. */
    private static final List<String> BUDGET_FIELDS = List.of("nsamples", "max_evals", "num_samples");
    private static final OneofDescriptor METHOD = ExplainRequest.getDescriptor().getOneofs().stream()
            .filter(o -> o.getName().equals("method")).findFirst().orElseThrow();

    private MethodChoice() {
    }

    /** "auto, kernel_shap, ..." for help and error messages. */
    static String names() {
        return String.join(", ", MethodTable.names());
    }

    /**
     * Sets the method and the options it takes; 0 (or the output target) leaves a parameter at the
     * server's default.
     *
     * @throws IllegalArgumentException for an unknown method or an option the method does not take
     */
    static void apply(ExplainRequest.Builder request, String method, long budget, int nSteps, GradientTarget target) {
        if (!MethodTable.names().contains(method)) {
            throw new IllegalArgumentException("unknown method '" + method + "'; use " + names());
        }
        FieldDescriptor field = METHOD.getFields().stream().filter(f -> f.getName().equals(method)).findFirst()
                .orElseThrow();
        Message.Builder params = request.newBuilderForField(field);
        if (budget != 0) {
            FieldDescriptor f = BUDGET_FIELDS.stream().map(params.getDescriptorForType()::findFieldByName)
                    .filter(java.util.Objects::nonNull).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException(method + " has no sample budget; leave out --nsamples"));
            params.setField(f, f.getJavaType() == FieldDescriptor.JavaType.INT ? (Object) Math.toIntExact(budget) : budget);
        }
        if (nSteps != 0) {
            set(params, "n_steps", nSteps, method + " has no path steps; --n-steps is for integrated_gradients");
        }
        FieldDescriptor targetField = params.getDescriptorForType().findFieldByName("target");
        if (targetField != null) {
            params.setField(targetField, targetField.getEnumType().findValueByNumber(target.getNumber()));
        } else if (target != GradientTarget.GRADIENT_TARGET_OUTPUT) {
            throw new IllegalArgumentException(method + " has no gradient target; --gradient-target is for the"
                    + " gradient methods");
        }
        request.setField(field, params.build());
    }

    private static void set(Message.Builder params, String name, Object value, String without) {
        FieldDescriptor f = params.getDescriptorForType().findFieldByName(name);
        if (f == null) {
            throw new IllegalArgumentException(without);
        }
        params.setField(f, value);
    }
}
