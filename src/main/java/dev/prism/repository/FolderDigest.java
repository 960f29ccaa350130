package dev.prism.repository;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The version of a model folder: a SHA-256 over the relative path and content of every file under
 * it (a link counts by its target's name, so it is never followed out of the repository). Content
 * rather than times and sizes: a re-trained model of the same shape often has the same size, and
 * a copy may keep the old modification time.
 */
public final class FolderDigest {
    private FolderDigest() {}

    /** The first 16 hex digits of the digest, enough to tell versions apart. */
    public static String of(Path folder) throws IOException {
        MessageDigest sha = sha256();
        List<Path> files;
        try (Stream<Path> s = Files.walk(folder)) {
            files = s.filter(p -> !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
        }
        byte[] buffer = new byte[1 << 16];
        for (Path file : files) {
            sha.update(folder.relativize(file).toString().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            if (Files.isSymbolicLink(file)) {
                sha.update(Files.readSymbolicLink(file).toString().getBytes(StandardCharsets.UTF_8));
                continue;
            }
            try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    sha.update(buffer, 0, n);
                }
            }
        }
        return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
