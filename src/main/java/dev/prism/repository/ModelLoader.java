package dev.prism.repository;

import dev.prism.model.Background;
import dev.prism.model.Model;
import dev.prism.model.ModelSignature;
import java.nio.file.Path;
import java.util.Optional;

/** Opens a model file with a runtime, or connects to a model another server serves. */
public interface ModelLoader {
    /**
     * @param device execution provider, "cpu" or "cuda[:N]"
     * @throws IllegalArgumentException when the file cannot serve, with a message for the operator
     */
    Model load(Path modelFile, ModelSettings settings, String device);

    /**
     * Opens the model with its default background at hand, for checks at load time that run the
     * model on rows (what Prism computes from a tree ensemble itself against the runtime's run).
     * By default the background is not used.
     *
     * @throws IllegalArgumentException when the file cannot serve, or the background cannot be read
     */
    default Model load(Path modelFile, ModelSettings settings, String device, DefaultBackground background) {
        return load(modelFile, settings, device);
    }

    /**
     * Connects to a model that another server serves over the Open Inference Protocol, reading its
     * signature from the backend's metadata.
     *
     * @throws IllegalArgumentException when the backend cannot be reached, or its model cannot serve
     */
    default Model connect(OpenInferenceBackend backend, ModelSettings settings) {
        throw new IllegalArgumentException("this server loads model files only; it has no client for "
                + "Open Inference Protocol backends");
    }

    /** A model's default background, read once its signature says how wide a row is. */
    @FunctionalInterface
    interface DefaultBackground {
        DefaultBackground NONE = signature -> Optional.empty();

        /**
         * @return empty when the model has no default background
         * @throws IllegalArgumentException naming the file, when it cannot be read
         */
        Optional<Background> read(ModelSignature signature);
    }
}
