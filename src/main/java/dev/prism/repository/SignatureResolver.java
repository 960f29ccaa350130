package dev.prism.repository;

import dev.prism.model.ModelSignature;
import dev.prism.model.OutputKind;
import dev.prism.tensor.TensorSpec;
import java.util.ArrayList;
import java.util.List;

/** Fills a model's signature from its graph and the folder's settings, applying the defaults. */
public final class SignatureResolver {
    /**
     * Elements per instance of the input or a score output. A graph may declare any shape; beyond
     * this one row, its feature names and ONNX Runtime's buffers would not fit in memory (or an int).
     */
    public static final long MAX_INSTANCE_ELEMENTS = 1 << 22;

    private SignatureResolver() {}

    /**
     * @throws IllegalArgumentException with a message for the operator when the graph and the
     *                                  settings do not fit together
     */
    public static ModelSignature resolve(List<TensorSpec> inputs, List<TensorSpec> outputs,
                                         ModelSettings settings) {
        if (inputs.size() != 1) {
            throw new IllegalArgumentException("the model has " + inputs.size()
                    + " inputs; Prism explains models with exactly one input");
        }
        TensorSpec input = inputs.get(0);
        if (input.shape().length < 2) {
            throw new IllegalArgumentException("input " + input + " needs a batch dimension and at "
                    + "least one feature dimension");
        }
        requireBounded(input);
        int features = input.instanceSize();
        if (features < 1) {
            throw new IllegalArgumentException("input " + input + " has a dynamic or empty "
                    + "non-batch dimension; Prism needs a fixed instance shape");
        }
        List<String> featureNames = settings.featureNames().isEmpty()
                ? generated("f", features) : settings.featureNames();
        if (featureNames.size() != features) {
            throw new IllegalArgumentException("config gives " + featureNames.size()
                    + " feature names but input " + input.name() + " has " + features + " elements");
        }

        List<TensorSpec> scores = new ArrayList<>();
        if (settings.scoreOutputs().isEmpty()) {
            // The embedding output is no score, though it is a float output like them.
            outputs.stream().filter(o -> o.dtype().isFloating() && !o.name().equals(settings.embeddingOutput()))
                    .forEach(scores::add);
            if (scores.isEmpty()) {
                throw new IllegalArgumentException("the model has no float output to explain");
            }
        } else {
            for (String name : settings.scoreOutputs()) {
                TensorSpec spec = outputs.stream().filter(o -> o.name().equals(name)).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException("config names score output '"
                                + name + "' but the graph's outputs are " + names(outputs)));
                if (name.equals(settings.embeddingOutput())) {
                    throw new IllegalArgumentException("config names '" + name + "' both a score output and the"
                            + " embedding_output");
                }
                scores.add(spec);
            }
        }
        List<String> defaultNames = new ArrayList<>();
        for (TensorSpec s : scores) {
            requireBounded(s);
            int width = s.instanceSize();
            if (width < 1) {
                throw new IllegalArgumentException("score output " + s + " has a dynamic or empty "
                        + "non-batch dimension");
            }
            if (width == 1) {
                defaultNames.add(s.name());
            } else {
                for (int i = 0; i < width; i++) {
                    defaultNames.add(s.name() + "[" + i + "]");
                }
            }
        }
        List<String> outputNames = settings.outputNames().isEmpty() ? defaultNames : settings.outputNames();
        if (outputNames.size() != defaultNames.size()) {
            throw new IllegalArgumentException("config gives " + outputNames.size()
                    + " output names but the score outputs have " + defaultNames.size() + " columns");
        }
        return new ModelSignature(inputs, outputs, input, scores, featureNames, outputNames,
                settings.outputKind());
    }

    /**
     * The signature of a view of the model whose only score output is another of its graph's outputs
     * (an embedding): float, not a score output, of a fixed bounded instance shape. Its columns are
     * named "output[i]".
     */
    public static ModelSignature outputView(ModelSignature signature, String output) {
        TensorSpec spec = signature.outputs().stream().filter(o -> o.name().equals(output)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("embedding_output '" + output + "' is not an output"
                        + " of the graph; its outputs are " + names(signature.outputs())));
        if (!spec.dtype().isFloating()) {
            throw new IllegalArgumentException("embedding_output " + spec + " is not a float output");
        }
        if (signature.scoreOutputs().stream().anyMatch(s -> s.name().equals(output))) {
            throw new IllegalArgumentException("embedding_output '" + output + "' is a score output");
        }
        requireBounded(spec);
        int width = spec.instanceSize();
        if (width < 1) {
            throw new IllegalArgumentException("embedding_output " + spec + " has a dynamic or empty non-batch"
                    + " dimension");
        }
        List<String> names = new ArrayList<>(width);
        for (int i = 0; i < width; i++) {
            names.add(output + "[" + i + "]");
        }
        return new ModelSignature(signature.inputs(), signature.outputs(), signature.explainedInput(), List.of(spec),
                signature.featureNames(), names, OutputKind.UNSPECIFIED);
    }

    /** Refuses a fixed instance shape of more than {@link #MAX_INSTANCE_ELEMENTS}; dynamic ones are refused by the caller. */
    private static void requireBounded(TensorSpec spec) {
        long[] shape = spec.shape();
        long elements = 1;
        for (int i = 1; i < shape.length; i++) {
            if (shape[i] < 0) {
                return;
            }
            // Both factors are at most the limit, so the product cannot overflow a long.
            elements = Math.min(elements, MAX_INSTANCE_ELEMENTS + 1) * Math.min(shape[i], MAX_INSTANCE_ELEMENTS + 1);
        }
        if (elements > MAX_INSTANCE_ELEMENTS) {
            throw new IllegalArgumentException(spec + " has more than " + MAX_INSTANCE_ELEMENTS
                    + " elements per instance; Prism refuses larger instance shapes");
        }
    }

    private static List<String> generated(String prefix, int n) {
        List<String> names = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            names.add(prefix + i);
        }
        return names;
    }

    private static List<String> names(List<TensorSpec> specs) {
        return specs.stream().map(TensorSpec::name).toList();
    }
}
