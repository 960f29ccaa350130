package dev.prism.repository;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.TextFormat;
import com.google.protobuf.util.JsonFormat;
import dev.prism.api.v1.BackendTls;
import dev.prism.api.v1.BatchingConfig;
import dev.prism.api.v1.ModelConfig;
import dev.prism.batch.BatchingSettings;
import dev.prism.model.OutputKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Reads a model folder's {@code config.json} (protobuf JSON) or {@code config.pbtxt} (text
 * format) into {@link ModelSettings}. The protobuf message is the one documented schema; nothing
 * past this class sees it.
 */
public final class ModelConfigReader {
    public static final String JSON = "config.json";
    public static final String TEXT = "config.pbtxt";

    private ModelConfigReader() {}

    /** The folder's settings, or the defaults when it has no config file. */
    public static ModelSettings read(Path folder) throws IOException {
        Path json = folder.resolve(JSON);
        Path text = folder.resolve(TEXT);
        if (Files.exists(json) && Files.exists(text)) {
            throw new IllegalArgumentException(folder + " has both " + JSON + " and " + TEXT + "; keep one");
        }
        ModelConfig.Builder config = ModelConfig.newBuilder();
        try {
            if (Files.exists(json)) {
                JsonFormat.parser().merge(Files.readString(json), config);
            } else if (Files.exists(text)) {
                TextFormat.merge(Files.readString(text), config);
            } else {
                return ModelSettings.DEFAULTS;
            }
        } catch (InvalidProtocolBufferException | TextFormat.ParseException e) {
            throw new IllegalArgumentException("cannot parse the config in " + folder + ": " + e.getMessage(), e);
        }
        return toSettings(config.build());
    }

    static ModelSettings toSettings(ModelConfig c) {
        OutputKind kind = switch (c.getOutputKind()) {
            case OUTPUT_KIND_PROBABILITY -> OutputKind.PROBABILITY;
            case OUTPUT_KIND_LOGIT -> OutputKind.LOGIT;
            case OUTPUT_KIND_REGRESSION -> OutputKind.REGRESSION;
            default -> OutputKind.UNSPECIFIED;
        };
        return new ModelSettings(c.getFeatureNamesList(), c.getScoreOutputsList(), c.getOutputNamesList(),
                kind, c.getBackgroundFile().isEmpty() ? null : c.getBackgroundFile(),
                batching(c.getBatching()), c.getDevice().isEmpty() ? null : c.getDevice(),
                c.getCategoricalFeaturesList(), c.getBaselineList(),
                c.hasOpenInferenceBackend() ? backend(c.getOpenInferenceBackend()) : null,
                c.getReferenceFile().isEmpty() ? null : c.getReferenceFile(),
                c.getReferenceLabelColumn().isEmpty() ? null : c.getReferenceLabelColumn(),
                c.getEmbeddingOutput().isEmpty() ? null : c.getEmbeddingOutput(),
                ModelSettings.DEFAULT_MAX_REFERENCE_ROWS);
    }

    private static OpenInferenceBackend backend(dev.prism.api.v1.OpenInferenceBackend b) {
        OpenInferenceBackend.Tls tls = null;
        if (b.hasTls()) {
            BackendTls t = b.getTls();
            tls = new OpenInferenceBackend.Tls(path(t.getCaFile()), path(t.getCertFile()), path(t.getKeyFile()),
                    t.getServerName().isEmpty() ? null : t.getServerName());
        }
        Duration timeout = b.getTimeoutMillis() == 0 ? OpenInferenceBackend.DEFAULT_TIMEOUT
                : Duration.ofMillis(b.getTimeoutMillis());
        return new OpenInferenceBackend(b.getTarget(), b.getModelName().isEmpty() ? null : b.getModelName(),
                b.getModelVersion(), tls, timeout);
    }

    private static Path path(String configured) {
        return configured.isEmpty() ? null : Path.of(configured);
    }

    private static BatchingSettings batching(BatchingConfig b) {
        BatchingSettings d = BatchingSettings.DEFAULT;
        return new BatchingSettings(
                b.getMaxBatchRows() == 0 ? d.maxBatchRows() : b.getMaxBatchRows(),
                b.getMaxQueueDelayMicros() == 0 ? d.maxQueueDelayMicros() : b.getMaxQueueDelayMicros(),
                b.getMaxQueueRows() == 0 ? d.maxQueueRows() : b.getMaxQueueRows(),
                b.hasCrossRequestBatching() ? b.getCrossRequestBatching() : d.crossRequestBatching(),
                b.getWorkers());
    }
}
