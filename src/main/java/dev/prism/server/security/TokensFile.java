package dev.prism.server.security;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * The tokens file and the tokens in force, read from it at start and again on every model reload
 * (SIGHUP, ReloadModels, a watched change), so that tokens are added and revoked without a
 * restart. A file that cannot be used then is refused and the tokens from before stay in force.
 */
public final class TokensFile {
    private final Path file;
    private volatile AccessTokens current;

    /** @throws IllegalArgumentException naming the file and line when it cannot be used */
    public TokensFile(Path file, Set<String> servedModels) {
        this.file = file;
        this.current = AccessTokens.read(file, servedModels);
    }

    public Path file() {
        return file;
    }

    AccessTokens current() {
        return current;
    }

    /**
     * Reads the file again, checked against the models served now.
     *
     * @return why it was refused, or empty when its tokens are now in force
     */
    public Optional<String> reload(Set<String> servedModels) {
        try {
            current = AccessTokens.read(file, servedModels);
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }
}
