package dev.prism.repository;

import dev.prism.batch.BatchingSettings;
import dev.prism.model.OutputKind;
import java.util.List;

/**
 * A model folder's configuration with every default still open: empty lists and null strings
 * mean "not configured".
 *
 * @param backend null for a model file in the folder, else the server that serves the model
 */
public record ModelSettings(
        List<String> featureNames,
        List<String> scoreOutputs,
        List<String> outputNames,
        OutputKind outputKind,
        String backgroundFile,
        BatchingSettings batching,
        String device,
        List<String> categoricalFeatures,
        List<Double> baseline,
        OpenInferenceBackend backend) {

    public static final ModelSettings DEFAULTS = new ModelSettings(
            List.of(), List.of(), List.of(), OutputKind.UNSPECIFIED, null, BatchingSettings.DEFAULT, null,
            List.of(), List.of(), null);

    public ModelSettings {
        featureNames = List.copyOf(featureNames);
        scoreOutputs = List.copyOf(scoreOutputs);
        outputNames = List.copyOf(outputNames);
        categoricalFeatures = List.copyOf(categoricalFeatures);
        baseline = List.copyOf(baseline);
    }

    public ModelSettings withBatching(BatchingSettings b) {
        return new ModelSettings(featureNames, scoreOutputs, outputNames, outputKind, backgroundFile, b, device,
                categoricalFeatures, baseline, backend);
    }
}
