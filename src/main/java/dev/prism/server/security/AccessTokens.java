package dev.prism.server.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The bearer tokens of a tokens file and the models each may use. One token per line:
 * <pre>
 * # comment
 * &lt;token&gt;             iris,diabetes
 * sha256:&lt;64 hex&gt;    *
 * </pre>
 * A token is written as itself or as {@code sha256:} and the hex SHA-256 of its UTF-8 bytes, so the
 * file need not hold the secret. The allow list is {@code *} (every model) or model names separated
 * by commas. Only digests are kept in memory, and a presented token is compared with every one of
 * them in constant time, so neither timing nor an early match says which token is close.
 */
public final class AccessTokens {
    private static final String SHA256_PREFIX = "sha256:";
    private static final String EVERY_MODEL = "*";

    private record Token(byte[] digest, ModelGrant grant) {}

    private final List<Token> tokens;

    private AccessTokens(List<Token> tokens) {
        this.tokens = List.copyOf(tokens);
    }

    /**
     * Reads a tokens file.
     *
     * @param servedModels the repository's model names: an allow list naming another model is a mistake
     * @throws IllegalArgumentException naming the file and line of what is wrong
     */
    public static AccessTokens read(Path file, Set<String> servedModels) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the tokens file " + file + ": " + e, e);
        }
        List<Token> tokens = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = "tokens file " + file + " line " + (i + 1) + ": ";
            String[] parts = line.split("\\s+");
            if (parts.length != 2) {
                throw new IllegalArgumentException(where + "expected '<token> <model,model,...|*>'");
            }
            byte[] digest = digestOf(parts[0], where);
            if (tokens.stream().anyMatch(t -> Arrays.equals(t.digest(), digest))) {
                throw new IllegalArgumentException(where + "the token is already listed");
            }
            tokens.add(new Token(digest, grant(parts[1], servedModels, where)));
        }
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException("tokens file " + file + " lists no token; every call would be refused");
        }
        return new AccessTokens(tokens);
    }

    private static byte[] digestOf(String token, String where) {
        if (!token.startsWith(SHA256_PREFIX)) {
            return sha256(token);
        }
        String hex = token.substring(SHA256_PREFIX.length());
        if (hex.length() != 64) {
            throw new IllegalArgumentException(where + "a sha256: token needs 64 hex digits, got " + hex.length());
        }
        try {
            return HexFormat.of().parseHex(hex);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + "a sha256: token needs hex digits: " + e.getMessage(), e);
        }
    }

    private static ModelGrant grant(String list, Set<String> servedModels, String where) {
        if (list.equals(EVERY_MODEL)) {
            return ModelGrant.ALL;
        }
        Set<String> models = new LinkedHashSet<>(Arrays.asList(list.split(",")));
        for (String model : models) {
            if (!servedModels.contains(model)) {
                throw new IllegalArgumentException(where + "model '" + model + "' is not served; served models: "
                        + servedModels);
            }
        }
        return ModelGrant.of(models);
    }

    /** The grant of a presented token, or empty when no listed token matches. */
    Optional<ModelGrant> grantOf(String presented) {
        byte[] digest = sha256(presented);
        ModelGrant found = null;
        // Every entry is compared, match or not, so the time taken does not depend on where a match is.
        for (Token t : tokens) {
            if (MessageDigest.isEqual(t.digest(), digest)) {
                found = t.grant();
            }
        }
        return Optional.ofNullable(found);
    }

    static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
