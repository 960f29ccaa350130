package dev.prism.model;

import dev.prism.tensor.TensorSpec;
import java.util.List;

/**
 * What a model takes and gives, as the explainers see it: one explained input whose instances are
 * flattened to {@link #featureCount()} values, and score outputs flattened per instance into
 * {@link #outputCount()} named columns.
 *
 * @param inputs         every graph input
 * @param outputs        every graph output
 * @param explainedInput the input instances are given for
 * @param scoreOutputs   the graph outputs whose values are explained, in column order
 * @param featureNames   one per element of an instance of the explained input
 * @param outputNames    one per score column
 */
public record ModelSignature(
        List<TensorSpec> inputs,
        List<TensorSpec> outputs,
        TensorSpec explainedInput,
        List<TensorSpec> scoreOutputs,
        List<String> featureNames,
        List<String> outputNames,
        OutputKind outputKind) {

    public ModelSignature {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        scoreOutputs = List.copyOf(scoreOutputs);
        featureNames = List.copyOf(featureNames);
        outputNames = List.copyOf(outputNames);
        if (featureNames.size() != explainedInput.instanceSize()) {
            throw new IllegalArgumentException(featureNames.size() + " feature names for input "
                    + explainedInput + " of " + explainedInput.instanceSize() + " elements");
        }
        int columns = scoreOutputs.stream().mapToInt(TensorSpec::instanceSize).sum();
        if (outputNames.size() != columns) {
            throw new IllegalArgumentException(
                    outputNames.size() + " output names for " + columns + " score columns");
        }
    }

    public int featureCount() {
        return featureNames.size();
    }

    public int outputCount() {
        return outputNames.size();
    }
}
