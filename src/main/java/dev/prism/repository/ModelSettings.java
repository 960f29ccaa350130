package dev.prism.repository;

import dev.prism.batch.BatchingSettings;
import dev.prism.model.OutputKind;
import java.util.List;

/**
 * A model folder's configuration with every default still open: empty lists and null strings
 * mean "not configured".
 *
 * @param backend              null for a model file in the folder, else the server that serves the model
 * @param referenceFile        the reference set's CSV, relative to the folder, or null for none
 * @param referenceLabelColumn the header name of the reference file's label column, or null
 * @param embeddingOutput      the graph output holding each instance's embedding, or null
 * @param maxReferenceRows     the most rows a reference file may hold (a server-wide limit)
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
        OpenInferenceBackend backend,
        String referenceFile,
        String referenceLabelColumn,
        String embeddingOutput,
        int maxReferenceRows) {

    /** The reference rows a model may hold unless the server says otherwise. */
    public static final int DEFAULT_MAX_REFERENCE_ROWS = 1_000_000;

    public static final ModelSettings DEFAULTS = new ModelSettings(
            List.of(), List.of(), List.of(), OutputKind.UNSPECIFIED, null, BatchingSettings.DEFAULT, null,
            List.of(), List.of(), null, null, null, null, DEFAULT_MAX_REFERENCE_ROWS);

    public ModelSettings {
        featureNames = List.copyOf(featureNames);
        scoreOutputs = List.copyOf(scoreOutputs);
        outputNames = List.copyOf(outputNames);
        categoricalFeatures = List.copyOf(categoricalFeatures);
        baseline = List.copyOf(baseline);
        if (maxReferenceRows < 1) {
            throw new IllegalArgumentException("the reference row limit must be positive, got " + maxReferenceRows);
        }
    }

    public ModelSettings withBatching(BatchingSettings b) {
        return new ModelSettings(featureNames, scoreOutputs, outputNames, outputKind, backgroundFile, b, device,
                categoricalFeatures, baseline, backend, referenceFile, referenceLabelColumn, embeddingOutput,
                maxReferenceRows);
    }

    public ModelSettings withMaxReferenceRows(int rows) {
        return new ModelSettings(featureNames, scoreOutputs, outputNames, outputKind, backgroundFile, batching, device,
                categoricalFeatures, baseline, backend, referenceFile, referenceLabelColumn, embeddingOutput, rows);
    }
}
