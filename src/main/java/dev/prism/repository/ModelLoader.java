package dev.prism.repository;

import dev.prism.model.Model;
import java.nio.file.Path;

/** Opens a model file with a runtime. */
public interface ModelLoader {
    /**
     * @param device execution provider, "cpu" or "cuda[:N]"
     * @throws IllegalArgumentException when the file cannot serve, with a message for the operator
     */
    Model load(Path modelFile, ModelSettings settings, String device);
}
