package dev.prism.repository;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A model another server serves over the Open Inference Protocol, as a folder's config names it.
 * Read from the config with its paths relative to the folder; {@link ModelRepository} resolves them
 * (inside the repository) and fills in the folder's name as the default model name before a loader
 * sees it.
 *
 * @param modelName    the model's name on the backend; null in the config for "the folder's name"
 * @param modelVersion empty for the version the backend chooses
 * @param tls          null for plaintext
 * @param timeout      the longest one call may take
 */
public record OpenInferenceBackend(String target, String modelName, String modelVersion, Tls tls,
                                   Duration timeout) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration MAX_TIMEOUT = Duration.ofHours(1);

    /**
     * PEM files for TLS towards the backend.
     *
     * @param caFile     null for the platform's trusted authorities
     * @param certFile   null, or with keyFile, the client certificate for mutual TLS
     * @param serverName null, or the name the backend's certificate must carry
     */
    public record Tls(Path caFile, Path certFile, Path keyFile, String serverName) {
        public Tls {
            if ((certFile == null) != (keyFile == null)) {
                throw new IllegalArgumentException("open_inference_backend.tls needs both cert_file and key_file,"
                        + " or neither");
            }
        }
    }

    public OpenInferenceBackend {
        if (target == null || target.isBlank()) {
            throw new IllegalArgumentException("open_inference_backend.target is required");
        }
        if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_TIMEOUT) > 0) {
            throw new IllegalArgumentException("open_inference_backend.timeout_millis must be in [1, "
                    + MAX_TIMEOUT.toMillis() + "], not " + timeout.toMillis());
        }
    }

    /** The backend with its files inside the folder (confined to the repository) and its model named. */
    OpenInferenceBackend resolvedIn(Path folder, String folderName, RepositoryBounds bounds) {
        Tls resolved = null;
        if (tls != null) {
            resolved = new Tls(file(folder, tls.caFile(), "ca_file", bounds), file(folder, tls.certFile(), "cert_file",
                    bounds), file(folder, tls.keyFile(), "key_file", bounds), tls.serverName());
        }
        return new OpenInferenceBackend(target, modelName == null ? folderName : modelName, modelVersion, resolved,
                timeout);
    }

    private static Path file(Path folder, Path relative, String field, RepositoryBounds bounds) {
        if (relative == null) {
            return null;
        }
        Path file = RepositoryBounds.relativeInFolder(folder, relative.toString(), "open_inference_backend.tls." + field);
        if (!RepositoryBounds.present(file)) {
            throw new IllegalArgumentException("open_inference_backend.tls." + field + " " + file + " does not exist");
        }
        return bounds.confine(file, "open_inference_backend.tls." + field);
    }
}
